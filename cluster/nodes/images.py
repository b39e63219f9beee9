"""The registry catalogue: which images exist, their tags, sizes and how they behave.

An image reference is normalised the way Docker and containerd do (`nginx` →
`docker.io/library/nginx:latest`). A pull either succeeds with the image's size
and digest or fails with the text containerd 1.7 returns to the kubelet.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

DEFAULT_REGISTRY = "docker.io"
KNOWN_REGISTRIES = (
    "docker.io",
    "registry-1.docker.io",
    "registry.k8s.io",
    "k8s.gcr.io",
    "gcr.io",
    "quay.io",
    "ghcr.io",
    "mcr.microsoft.com",
    "public.ecr.aws",
)
# The resolver a simulated node asks (systemd-resolved's stub).
NODE_RESOLVER = "127.0.0.53:53"
PULL_BYTES_PER_SECOND = 50_000_000
PULL_OVERHEAD_SECONDS = 0.5

# containerd 1.7 CRI error texts, as the kubelet passes them on.
NOT_FOUND_ERROR = (
    'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": '
    'failed to resolve reference "{ref}": {ref}: not found'
)
ACCESS_DENIED_ERROR = (
    'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": '
    'failed to resolve reference "{ref}": pull access denied, repository does not '
    "exist or may require authorization: server message: insufficient_scope: "
    "authorization failed"
)
NO_SUCH_HOST_ERROR = (
    'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": '
    'failed to resolve reference "{ref}": failed to do request: Head '
    '"https://{host}/v2/{path}/manifests/{tag}": dial tcp: lookup {hostname} on '
    "{resolver}: no such host"
)
INVALID_NAME_ERROR = (
    'Failed to apply default image tag "{image}": couldn\'t parse image name '
    '"{image}": invalid reference format'
)
INVALID_NAME_UPPERCASE = ": repository name ({path}) must be lowercase"

_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class Image:
    """One repository in the catalogue and how containers of it behave."""

    repo: str  # registry/path, e.g. docker.io/library/nginx
    tags: tuple[str, ...]
    tag_pattern: str = ""  # further real tags, as a regex
    size: int = 50_000_000  # compressed bytes, as `Image size:` reports
    port: int | None = 8080
    protocol: str = "http"  # http | redis | postgres | mysql | amqp | dns | none
    behaviour: str = "server"  # server | shell (exits when its command ends)
    logs: str = "generic"
    body: str = "generic"
    memory_mib: int = 20
    cpu_m: int = 1
    # Seconds to exit after SIGTERM; None ignores SIGTERM (killed at grace end).
    shutdown: float | None = 0.2
    env: tuple[tuple[str, str], ...] = ()
    tools: str = (
        "debian"  # which binaries exist: debian | nginx | busybox | alpine | none
    )
    process: str = ""  # PID 1's command line, as `ps` shows it
    version: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def has_tag(self, tag: str) -> bool:
        """Whether the registry serves this tag."""
        if tag in self.tags:
            return True
        return (
            bool(self.tag_pattern) and re.fullmatch(self.tag_pattern, tag) is not None
        )

    def size_of(self, tag: str) -> int:
        """The compressed size of one tag (alpine variants are smaller)."""
        scale = 0.35 if "alpine" in tag else 1.0
        if "slim" in tag:
            scale = min(scale, 0.3)
        wobble = (int(hashlib.sha256(tag.encode()).hexdigest()[:4], 16) % 200) - 100
        return int(self.size * scale * (1 + wobble / 5000))


_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _lib(name: str, **kw) -> Image:
    return Image(repo=f"docker.io/library/{name}", **kw)


_V = r"(?:-(?:alpine[\d.]*|bookworm|bullseye|slim|slim-bookworm|perl|alpine-slim))?"
CATALOGUE: dict[str, Image] = {
    i.repo: i
    for i in [
        _lib(
            "nginx",
            tags=("latest", "stable", "mainline", "alpine", "1", "perl"),
            tag_pattern=r"1\.(?:1[4-9]|2[0-9])(?:\.\d{1,2})?" + _V,
            size=72_099_410,
            port=80,
            logs="nginx",
            body="nginx",
            memory_mib=4,
            shutdown=0.3,
            env=(("NGINX_VERSION", "1.27.3"), ("NJS_VERSION", "0.8.7")),
            tools="nginx",
            process="nginx: master process nginx -g daemon off;",
            version="1.27.3",
        ),
        _lib(
            "busybox",
            tags=("latest", "stable", "musl", "glibc", "uclibc"),
            tag_pattern=r"1\.(?:2[89]|3[0-7])(?:\.\d)?(?:-(?:musl|glibc|uclibc))?",
            size=2_155_484,
            port=None,
            protocol="none",
            behaviour="shell",
            logs="shell",
            body="none",
            memory_mib=1,
            cpu_m=0,
            shutdown=None,
            tools="busybox",
            process="sh",
        ),
        _lib(
            "alpine",
            tags=("latest", "edge"),
            tag_pattern=r"3(?:\.(?:1[0-9]|2[0-2]|[0-9]))?(?:\.\d{1,2})?",
            size=3_653_068,
            port=None,
            protocol="none",
            behaviour="shell",
            logs="shell",
            body="none",
            memory_mib=1,
            cpu_m=0,
            shutdown=None,
            tools="alpine",
            process="/bin/sh",
        ),
        _lib(
            "ubuntu",
            tags=(
                "latest",
                "rolling",
                "noble",
                "jammy",
                "focal",
                "24.04",
                "22.04",
                "20.04",
            ),
            size=29_754_422,
            port=None,
            protocol="none",
            behaviour="shell",
            logs="shell",
            body="none",
            memory_mib=1,
            cpu_m=0,
            shutdown=None,
            tools="debian",
            process="/bin/bash",
        ),
        _lib(
            "redis",
            tags=("latest", "alpine", "8", "7", "6"),
            tag_pattern=r"(?:6\.[02]|7\.[024]|8\.[02])(?:\.\d{1,2})?" + _V,
            size=45_031_424,
            port=6379,
            protocol="redis",
            logs="redis",
            body="none",
            memory_mib=3,
            shutdown=0.2,
            env=(("REDIS_VERSION", "7.4.1"),),
            process="redis-server *:6379",
            version="7.4.1",
        ),
        _lib(
            "postgres",
            tags=("latest", "alpine", "18", "17", "16", "15", "14", "13"),
            tag_pattern=r"1[3-8](?:\.\d{1,2})?" + _V,
            size=158_401_536,
            port=5432,
            protocol="postgres",
            logs="postgres",
            body="none",
            memory_mib=25,
            cpu_m=2,
            shutdown=1.0,
            env=(("PG_MAJOR", "17"), ("PGDATA", "/var/lib/postgresql/data")),
            process="postgres",
            version="17.2",
        ),
        _lib(
            "mysql",
            tags=("latest", "lts", "8", "8.0", "8.4", "9", "5.7"),
            tag_pattern=r"(?:5\.7|8\.[04]|9\.[0-5])(?:\.\d{1,2})?(?:-(?:oracle|debian))?",
            size=170_213_888,
            port=3306,
            protocol="mysql",
            logs="mysql",
            body="none",
            memory_mib=360,
            cpu_m=5,
            shutdown=1.5,
            process="mysqld",
            version="9.1.0",
        ),
        _lib(
            "httpd",
            tags=("latest", "alpine", "2", "2.4"),
            tag_pattern=r"2\.4(?:\.\d{1,2})?" + _V,
            size=58_243_510,
            port=80,
            logs="httpd",
            body="httpd",
            memory_mib=8,
            shutdown=None,
            env=(("HTTPD_PREFIX", "/usr/local/apache2"), ("HTTPD_VERSION", "2.4.62")),
            process="httpd -DFOREGROUND",
            version="2.4.62",
        ),
        _lib(
            "python",
            tags=("latest", "alpine", "slim", "3"),
            tag_pattern=r"3\.(?:[89]|1[0-4])(?:\.\d{1,2})?" + _V,
            size=389_234_112,
            port=None,
            protocol="none",
            behaviour="shell",
            logs="shell",
            body="none",
            memory_mib=8,
            cpu_m=0,
            shutdown=None,
            process="python3",
        ),
        _lib(
            "node",
            tags=(
                "latest",
                "alpine",
                "slim",
                "lts",
                "18",
                "20",
                "22",
                "23",
                "24",
                "25",
            ),
            tag_pattern=r"(?:1[68]|2[0-5])(?:\.\d{1,2}){0,2}" + _V,
            size=405_577_728,
            port=None,
            protocol="none",
            behaviour="shell",
            logs="shell",
            body="none",
            memory_mib=30,
            cpu_m=0,
            shutdown=None,
            process="node",
        ),
        _lib(
            "memcached",
            tags=("latest", "alpine", "1", "1.6"),
            tag_pattern=r"1\.6(?:\.\d{1,2})?" + _V,
            size=31_028_201,
            port=11211,
            protocol="memcached",
            logs="quiet",
            body="none",
            memory_mib=2,
            process="memcached",
        ),
        _lib(
            "mongo",
            tags=("latest", "8", "7", "6", "8.0", "7.0", "6.0"),
            tag_pattern=r"[4-8]\.[0-9](?:\.\d{1,2})?",
            size=290_119_680,
            port=27017,
            protocol="mongodb",
            logs="mongo",
            body="none",
            memory_mib=160,
            cpu_m=4,
            shutdown=1.0,
            process="mongod --bind_ip_all",
        ),
        _lib(
            "rabbitmq",
            tags=("latest", "management", "alpine", "3", "4", "3-management"),
            tag_pattern=r"[34]\.\d{1,2}(?:\.\d{1,2})?(?:-management)?" + _V,
            size=92_274_688,
            port=5672,
            protocol="amqp",
            logs="quiet",
            body="none",
            memory_mib=120,
            cpu_m=3,
            shutdown=1.0,
            process="rabbitmq-server",
        ),
        _lib(
            "traefik",
            tags=("latest", "v3", "v2", "v3.2", "v2.11"),
            tag_pattern=r"v?[23]\.\d{1,2}(?:\.\d{1,2})?",
            size=50_331_648,
            port=80,
            logs="quiet",
            body="notfound",
            memory_mib=30,
            tools="alpine",
            process="traefik",
        ),
        _lib(
            # The Job tutorial's image (`perl -Mbignum=bpi -wle 'print bpi(2000)'`);
            # a full Debian build of perl, so it has bash and tar.
            "perl",
            tags=("latest", "slim", "5", "stable", "threaded"),
            tag_pattern=r"5\.(?:3[0-9]|4[0-2])(?:\.\d)?(?:-(?:slim|threaded|bookworm|bullseye|buster|slim-bookworm|slim-bullseye|slim-buster))?",
            size=336_004_096,
            port=None,
            protocol="none",
            behaviour="shell",
            logs="shell",
            body="none",
            memory_mib=6,
            cpu_m=0,
            shutdown=None,
            tools="debian",
            process="perl",
        ),
        # The StatefulSet tutorial's nginx: 0.8 in the old docs (k8s.gcr.io), 0.21
        # and 0.24 in today's, 0.7 and 0.27 in Kubernetes' own tests. Debian-based,
        # so it has sh and tar.
        *[
            Image(
                repo=f"{registry}/nginx-slim",
                tags=("0.7", "0.8", "0.21", "0.24", "0.27"),
                size=42_729_472,
                port=80,
                logs="nginx",
                body="nginx",
                memory_mib=3,
                shutdown=0.3,
                tools="debian",
                process="nginx: master process nginx -g daemon off;",
            )
            for registry in ("registry.k8s.io", "k8s.gcr.io")
        ],
        Image(
            repo="registry.k8s.io/pause",
            tags=("3.10", "3.9", "3.8", "3.7", "3.6"),
            size=320_368,
            port=None,
            protocol="none",
            logs="quiet",
            body="none",
            memory_mib=0,
            cpu_m=0,
            tools="none",
            process="/pause",
        ),
        Image(
            repo="registry.k8s.io/coredns/coredns",
            tags=("v1.11.3", "v1.11.1", "v1.10.1"),
            size=18_562_039,
            port=53,
            protocol="dns",
            logs="coredns",
            body="none",
            memory_mib=14,
            cpu_m=2,
            tools="none",
            process="/coredns -conf /etc/coredns/Corefile",
        ),
        Image(
            repo="registry.k8s.io/etcd",
            tags=("3.5.16-0", "3.5.15-0", "3.5.12-0"),
            size=57_680_541,
            port=2379,
            protocol="none",
            logs="quiet",
            body="none",
            memory_mib=40,
            cpu_m=15,
            tools="none",
            process="etcd",
        ),
        *[
            Image(
                repo=f"registry.k8s.io/{c}",
                tags=(),
                tag_pattern=r"v1\.(?:2[89]|3[0-2])\.\d{1,2}",
                size=size,
                port=None,
                protocol="none",
                logs="quiet",
                body="none",
                memory_mib=mem,
                cpu_m=cpu,
                tools="none",
                process=c,
            )
            for c, size, mem, cpu in [
                ("kube-apiserver", 28_670_731, 250, 40),
                ("kube-controller-manager", 26_259_392, 45, 15),
                ("kube-scheduler", 20_657_536, 20, 3),
                ("kube-proxy", 30_908_949, 15, 1),
            ]
        ],
        Image(
            repo="gcr.io/google-samples/kubernetes-bootcamp",
            tags=("v1",),
            size=80_312_440,
            port=8080,
            logs="bootcamp",
            body="bootcamp",
            memory_mib=9,
            shutdown=None,
            process="/bin/sh -c node server.js",
            extra={"version": "1"},
        ),
        Image(
            repo="docker.io/jocatalin/kubernetes-bootcamp",
            tags=("v1", "v2", "v10"),
            size=80_312_440,
            port=8080,
            logs="bootcamp",
            body="bootcamp",
            memory_mib=9,
            shutdown=None,
            process="/bin/sh -c node server.js",
        ),
        Image(
            repo="gcr.io/google-samples/hello-app",
            tags=("1.0", "2.0"),
            size=11_002_310,
            port=8080,
            logs="hello-app",
            body="hello-app",
            memory_mib=2,
            tools="none",
            process="./hello-app",
        ),
        Image(
            repo="registry.k8s.io/e2e-test-images/agnhost",
            tags=("2.39", "2.40", "2.43", "2.45", "2.47", "2.52"),
            size=54_871_328,
            port=8080,
            logs="quiet",
            body="hostname",
            memory_mib=5,
            tools="alpine",
            process="/agnhost netexec",
        ),
        Image(
            repo="k8s.gcr.io/echoserver",
            tags=("1.4", "1.10"),
            size=46_113_184,
            port=8080,
            logs="quiet",
            body="echoserver",
            memory_mib=4,
            tools="debian",
            process="nginx: master process nginx -g daemon off;",
        ),
        Image(
            repo="registry.k8s.io/echoserver",
            tags=("1.4", "1.10"),
            size=46_113_184,
            port=8080,
            logs="quiet",
            body="echoserver",
            memory_mib=4,
            tools="debian",
            process="nginx: master process nginx -g daemon off;",
        ),
        Image(
            repo="registry.k8s.io/hpa-example",
            tags=("latest",),
            size=180_000_000,
            port=80,
            logs="php-apache",
            body="hpa",
            memory_mib=10,
            process="apache2 -DFOREGROUND",
        ),
        Image(
            repo="docker.io/polinux/stress",
            tags=("latest", "1.0.4"),
            size=4_042_752,
            port=None,
            protocol="none",
            behaviour="server",
            logs="stress",
            body="none",
            memory_mib=1,
            cpu_m=0,
            shutdown=None,
            tools="alpine",
            process="stress",
        ),
        Image(
            repo="docker.io/curlimages/curl",
            tags=("latest",),
            tag_pattern=r"8\.\d{1,2}\.\d",
            size=10_485_760,
            port=None,
            protocol="none",
            behaviour="shell",
            logs="shell",
            body="none",
            memory_mib=1,
            cpu_m=0,
            shutdown=None,
            tools="alpine-curl",
            process="curl",
        ),
    ]
}
# An image nobody catalogued (a student's own) behaves as a small web app on 8080.
GENERIC = Image(repo="", tags=(), size=45_000_000, process="/app/server")


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference."""

    registry: str
    path: str
    tag: str
    digest: str = ""

    @property
    def repo(self) -> str:
        return f"{self.registry}/{self.path}"

    @property
    def full(self) -> str:
        """`docker.io/library/nginx:latest`, as the runtime names the image."""
        if self.digest and not self.tag:
            return f"{self.repo}@{self.digest}"
        return f"{self.repo}:{self.tag}"


class InvalidImageName(ValueError):
    """The reference does not parse (the kubelet reports InvalidImageName)."""


def normalize(image: str) -> ImageRef:
    """Parse a reference with Docker's rules: default registry, `library/`, `latest`."""
    text = (image or "").strip()
    if not text:
        raise InvalidImageName(INVALID_NAME_ERROR.format(image=image))
    name, _, digest = text.partition("@")
    tag = ""
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    parts = name.split("/")
    first = parts[0]
    if len(parts) > 1 and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, "/".join(parts[1:])
    else:
        registry, path = DEFAULT_REGISTRY, name
    if registry in ("docker.io", "index.docker.io") and "/" not in path:
        path = f"library/{path}"
    if registry == "index.docker.io":
        registry = "docker.io"
    if path != path.lower():
        raise InvalidImageName(
            INVALID_NAME_ERROR.format(image=image)
            + INVALID_NAME_UPPERCASE.format(path=path)
        )
    if not all(_COMPONENT.match(p) for p in path.split("/")):
        raise InvalidImageName(INVALID_NAME_ERROR.format(image=image))
    if tag and not _TAG.match(tag):
        raise InvalidImageName(INVALID_NAME_ERROR.format(image=image))
    if digest and not _DIGEST.match(digest):
        raise InvalidImageName(INVALID_NAME_ERROR.format(image=image))
    if not tag and not digest:
        tag = "latest"
    return ImageRef(registry=registry, path=path, tag=tag, digest=digest)


def lookup(ref: ImageRef) -> Image:
    """The catalogue entry of a reference (the generic app when uncatalogued), with
    the version its tag carries."""
    image = CATALOGUE.get(ref.repo, GENERIC)
    version = version_of(image, ref.tag)
    if version == image.version:
        return image
    env = tuple((k, version if v == image.version else v) for k, v in image.env)
    return replace(image, version=version, env=env)


_VERSION_TAG = re.compile(r"v?(\d+\.\d+(?:\.\d+)?)(?:-|$)")


def version_of(image: Image, tag: str) -> str:
    """The release a tag names: `nginx:1.28` runs 1.28.0, `nginx:1.26.2-alpine` 1.26.2;
    a tag that names no release (`latest`, `alpine`), or the catalogue's own line
    (`1.27` of 1.27.3), runs the catalogue's version."""
    found = _VERSION_TAG.match(tag or "")
    if not found or image.version.count(".") != 2:
        return image.version
    named = found.group(1)
    if image.version == named or image.version.startswith(named + "."):
        return image.version
    return named if named.count(".") == 2 else named + ".0"


def lookup_name(image: str) -> Image:
    """The catalogue entry of an image string, tolerating unparsable names."""
    try:
        return lookup(normalize(image))
    except InvalidImageName:
        return GENERIC


def digest_of(ref: ImageRef) -> str:
    """A stable manifest digest for a reference (the real digests are not modelled)."""
    if ref.digest:
        return ref.digest
    return "sha256:" + hashlib.sha256(ref.full.encode()).hexdigest()


def image_id(ref: ImageRef) -> str:
    """The containerStatuses[].imageID: `docker.io/library/nginx@sha256:…`."""
    return f"{ref.repo}@{digest_of(ref)}"


@dataclass(frozen=True)
class PullResult:
    ok: bool
    size: int = 0
    error: str = ""  # the CRI error text when not ok


def pull(ref: ImageRef) -> PullResult:
    """What the registry answers for a reference: the image size or the error."""
    host = ref.registry.split(":")[0]
    if ref.registry not in KNOWN_REGISTRIES and host != "localhost":
        return PullResult(
            ok=False,
            error=NO_SUCH_HOST_ERROR.format(
                ref=ref.full,
                host=ref.registry,
                hostname=host,
                path=ref.path,
                tag=ref.tag or ref.digest,
                resolver=NODE_RESOLVER,
            ),
        )
    image = CATALOGUE.get(ref.repo)
    if image is None:
        if ref.registry == "docker.io" and not ref.path.startswith("library/"):
            return PullResult(ok=True, size=GENERIC.size_of(ref.tag))
        if ref.registry == "docker.io":
            return PullResult(ok=False, error=ACCESS_DENIED_ERROR.format(ref=ref.full))
        return PullResult(ok=False, error=NOT_FOUND_ERROR.format(ref=ref.full))
    if ref.digest and not ref.tag:
        return PullResult(ok=True, size=image.size)
    if not image.has_tag(ref.tag):
        return PullResult(ok=False, error=NOT_FOUND_ERROR.format(ref=ref.full))
    return PullResult(ok=True, size=image.size_of(ref.tag))


def pull_seconds(size: int) -> float:
    """How long a pull of `size` bytes takes on the simulated network."""
    return round(size / PULL_BYTES_PER_SECOND + PULL_OVERHEAD_SECONDS, 3)
