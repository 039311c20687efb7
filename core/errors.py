"""The one exception type for bad input, shared by the factor base, the engine, imports and the CLI.

An ``InputError`` carries one or more ``Problem``s, each with the file, line, column and value
it is about and a French message a user can act on. The UI and the CLI print ``str(error)``;
nobody ever shows a user a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as we know."""

    message: str
    file: str | None = None
    line: int | None = None
    column: str | None = None
    value: object = None

    def __post_init__(self) -> None:
        # Missing values (None, NaN, pandas' NA) are shown as nothing, never compared.
        value = self.value
        try:
            missing = value is None or bool(value != value)
        except (TypeError, ValueError):
            missing = True
        if missing:
            object.__setattr__(self, "value", None)

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.line is not None:
            where.append(f"ligne {self.line}")
        if self.column:
            where.append(f"colonne « {self.column} »")
        prefix = ", ".join(where)
        shown_value = ""
        if self.value is not None and self.value != "":
            shown_value = f" (valeur : « {self.value} »)"
        return f"{prefix} : {self.message}{shown_value}" if prefix else f"{self.message}{shown_value}"


@dataclass
class InputError(Exception):
    """Bad input, explained in French. Raised by everything that validates what a user gave."""

    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def single(cls, message: str, **where: object) -> InputError:
        return cls([Problem(message, **where)])  # type: ignore[arg-type]

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problèmes :"]
        lines.extend(f"- {problem}" for problem in self.problems)
        return "\n".join(lines)


class MeasurementError(Exception):
    """A measurement could not be produced or recorded (French message saying what to do)."""
