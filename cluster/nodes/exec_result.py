"""What one command run by `kubectl exec` produced, and the Status that ends its stream."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ExecResult:
    stdout: str | bytes = ""  # bytes for binary output (`tar cf -`)
    stderr: str = ""
    exit_code: int = 0
    # A runtime failure (the Status message on the error channel), "" when the process ran.
    error: str = ""
    # The script ran `exit`: an interactive shell ends there.
    exited: bool = False

    def stdout_bytes(self) -> bytes:
        """What the process wrote on stdout, as the stream carries it."""
        out = self.stdout
        return out if isinstance(out, bytes) else out.encode()

    def status(self) -> dict:
        """The Status written on channel 3 when the stream ends."""
        if self.error:
            return {
                "metadata": {},
                "status": "Failure",
                "message": self.error,
                "reason": "InternalError",
                "code": 500,
            }
        if self.exit_code == 0:
            return {"metadata": {}, "status": "Success"}
        return {
            "metadata": {},
            "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing command [{self.exit_code}]",
            "reason": "NonZeroExitCode",
            "details": {
                "causes": [{"reason": "ExitCode", "message": str(self.exit_code)}]
            },
        }
