"""The grammar of a small `sh -c` script: commands joined by `;`, `&&`, `||` and
newlines, words quoted the way sh quotes them, `$VAR` / `${VAR}` / `$?` expansion.

Parsing and expansion are separate so `$?` sees the status of the command before.
Pipes, redirections and control structures are not parsed: a script using them is
reported as not simulated rather than run wrongly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# dash and busybox ash word their syntax errors differently; both exit 2.
DASH_UNTERMINATED = "sh: {line}: Syntax error: Unterminated quoted string"
ASH_UNTERMINATED = "sh: syntax error: unterminated quoted string"
DASH_UNEXPECTED = "sh: {line}: Syntax error: {token} unexpected"
ASH_UNEXPECTED = "sh: syntax error: unexpected {token}"
EOF = "end of file"
SYNTAX_EXIT_CODE = 2
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = ("&&", "||", ";", "|", "&", ">", "<")


class ScriptSyntaxError(ValueError):
    """The script does not parse; `token` is the offending operator ("" for quotes)."""

    def __init__(self, line: int, token: str = "") -> None:
        super().__init__(token or "unterminated quoted string")
        self.line, self.token = line, token

    def message(self, busybox: bool) -> str:
        """The shell's own wording of the error."""
        if not self.token:
            if busybox:
                return ASH_UNTERMINATED
            return DASH_UNTERMINATED.format(line=self.line)
        # An operator is quoted in the message, the end of the script is not.
        token = self.token if self.token == EOF else f'"{self.token}"'
        if busybox:
            return ASH_UNEXPECTED.format(token=token)
        return DASH_UNEXPECTED.format(line=self.line, token=token)


@dataclass(frozen=True)
class Part:
    """A piece of a word: literal text, or a parameter to expand (`var`)."""

    text: str = ""
    var: str = ""
    quoted: bool = False


@dataclass(frozen=True)
class Command:
    """One simple command: the operator joining it to the one before, its line, its
    words (each a tuple of parts), and an unsupported operator it uses, if any."""

    op: str
    line: int
    words: tuple[tuple[Part, ...], ...]
    unsupported: str = ""


def parse(script: str) -> list[Command]:
    """Split a script into commands; ScriptSyntaxError when sh would refuse it."""
    commands: list[Command] = []
    words: list[tuple[Part, ...]] = []
    parts: list[Part] = []
    in_word = False
    op, line, start_line, unsupported = ";", 1, 1, ""
    i, n = 0, len(script)

    def end_word() -> None:
        nonlocal parts, in_word
        if in_word:
            words.append(tuple(parts))
        parts, in_word = [], False

    def end_command(next_op: str) -> None:
        nonlocal words, op, unsupported, start_line
        end_word()
        if not words:
            raise ScriptSyntaxError(line, next_op)
        commands.append(Command(op, start_line, tuple(words), unsupported))
        words, op, unsupported, start_line = [], next_op, "", line

    while i < n:
        c = script[i]
        if c == "\n":
            # A newline ends a command; after `&&` or `||` the list goes on.
            if words or in_word:
                end_command(";")
            line += 1
            start_line = line
            i += 1
        elif c in " \t":
            end_word()
            i += 1
        elif c == "#" and not in_word:
            while i < n and script[i] != "\n":
                i += 1
        elif c == "'":
            close = script.find("'", i + 1)
            if close < 0:
                raise ScriptSyntaxError(line)
            parts.append(Part(text=script[i + 1 : close], quoted=True))
            line += script.count("\n", i, close)
            in_word, i = True, close + 1
        elif c == '"':
            i = _double_quoted(script, i + 1, parts, line)
            in_word = True
        elif c == "\\":
            if i + 1 < n and script[i + 1] != "\n":
                parts.append(Part(text=script[i + 1], quoted=True))
                in_word = True
            i += 2
        elif c == "$":
            i = _parameter(script, i, parts, quoted=False)
            in_word = True
        elif script.startswith(("&&", "||"), i):
            end_command(script[i : i + 2])
            i += 2
        elif c == ";":
            end_command(";")
            i += 1
        elif c == "`":
            close = script.find("`", i + 1)
            if close < 0:
                raise ScriptSyntaxError(line)
            parts.append(Part(var=f"({script[i + 1 : close]})"))
            in_word, i = True, close + 1
        elif c in "|&><()":
            # Pipes, background jobs, redirections and subshells are not simulated.
            unsupported = unsupported or c
            end_word()
            i += 1
        else:
            parts.append(Part(text=c))
            in_word = True
            i += 1
    end_word()
    if words:
        commands.append(Command(op, start_line, tuple(words), unsupported))
    elif op in ("&&", "||"):
        raise ScriptSyntaxError(line, EOF)
    return commands


def _double_quoted(script: str, i: int, parts: list[Part], line: int) -> int:
    n = len(script)
    while i < n:
        c = script[i]
        if c == '"':
            parts.append(Part(text="", quoted=True))  # `""` is still a word
            return i + 1
        if c == "\\" and i + 1 < n and script[i + 1] in '$`"\\\n':
            if script[i + 1] != "\n":
                parts.append(Part(text=script[i + 1], quoted=True))
            i += 2
        elif c == "$":
            i = _parameter(script, i, parts, quoted=True)
        else:
            parts.append(Part(text=c, quoted=True))
            i += 1
    raise ScriptSyntaxError(line)


def _parameter(script: str, i: int, parts: list[Part], quoted: bool) -> int:
    """`$NAME`, `${NAME}`, `$?`, `$$`, `$0`-`$9`, `$(command)`; a lone `$` is
    literal. A command substitution is a part whose `var` is `(command)`."""
    rest = script[i + 1 :]
    if rest.startswith("("):
        close = _matching_paren(rest)
        if close > 0:
            parts.append(Part(var=rest[: close + 1], quoted=quoted))
            return i + close + 2
    if rest.startswith("{"):
        close = rest.find("}")
        if close > 1:
            parts.append(Part(var=rest[1:close], quoted=quoted))
            return i + close + 2
    m = _NAME.match(rest)
    if m:
        parts.append(Part(var=m.group(0), quoted=quoted))
        return i + 1 + m.end()
    if rest[:1] and rest[0] in "?$#0123456789":
        parts.append(Part(var=rest[0], quoted=quoted))
        return i + 2
    parts.append(Part(text="$", quoted=quoted))
    return i + 1


def _matching_paren(text: str) -> int:
    depth = 0
    for i, c in enumerate(text):
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth == 0:
            return i
    return -1


def substitution(var: str) -> str | None:
    """The command of a `$(command)` part, None for a parameter."""
    return var[1:-1] if var.startswith("(") else None


def expand(word: tuple[Part, ...], lookup: Callable[[str], str]) -> list[str]:
    """The fields a word becomes: unquoted expansions split on blanks, quoted ones
    kept whole; a word of only an empty unquoted expansion disappears."""
    fields: list[str] = []
    current, has = "", False
    for part in word:
        if not part.var:
            current += part.text
            has = has or part.quoted or bool(part.text)
            continue
        value = lookup(part.var)
        if part.quoted:
            current, has = current + value, True
            continue
        pieces = re.split(r"[ \t\n]+", value)
        if len(pieces) == 1:
            current += value
            has = has or bool(value)
            continue
        # The first piece joins the text before; the last starts the next field.
        if pieces[0] or current:
            fields.append(current + pieces[0])
        fields.extend(p for p in pieces[1:-1] if p)
        current, has = pieces[-1], bool(pieces[-1])
    if has:
        fields.append(current)
    return fields
