"""Typed per-backend settings, read from deploy options, the environment and the config files.

A backend's settings are a subclass of :class:`BackendSettings`: one pydantic field per
setting, each with a default and a ``description``. For backend ``NAME`` and field ``FIELD`` the
value comes from, the first found winning:

1. a deploy option: ``sundial deploy NAME TARGET --FIELD VALUE`` (dashes for underscores) or
   ``--option FIELD=VALUE``; in Python, ``options={"FIELD": VALUE}``;
2. the environment variable ``SUNDIAL_NAME_FIELD`` (upper case);
3. ``FIELD = VALUE`` in the table ``[orchestrators.NAME]`` of ``sundial.toml`` (the project) or
   ``$SUNDIAL_HOME/config.toml``;
4. the field's default.

Strings are converted to the field's type by pydantic (``"true"``, ``"30"``, paths). Fields of
type ``pydantic.SecretStr`` are masked by ``sundial config show``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from sundial.errors import ConfigError
from sundial.orchestrators.setting_sources import env_name, gather, mask_url

__all__ = ["BackendSettings", "SettingValue", "env_name", "mask_url"]


class SettingValue(BaseModel):
    """One setting as ``sundial config show`` prints it."""

    name: str
    value: str
    source: str
    description: str


class BackendSettings(BaseModel):
    """The settings of one backend (none for a backend that needs none)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Fields whose values are secrets even though they are plain strings (e.g. URLs with
    #: passwords are masked anyway); ``SecretStr`` fields are always masked.
    secret_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def load(cls, backend: str, options: Mapping[str, Any] | None = None) -> Self:
        """The settings of ``backend``: deploy options, then the environment, then the config
        files, then the defaults.

        :raises ConfigError: an unknown option, or a value of the wrong type, naming where it
            came from and the field's type.
        """
        values, sources = gather(backend, cls.model_fields, options or {})
        try:
            return cls.model_validate(values)
        except ValidationError as err:
            first = err.errors()[0]
            name = str(first["loc"][0]) if first["loc"] else "?"
            raise ConfigError(
                f"setting '{name}' of orchestrator '{backend}' from {sources.get(name, '?')} "
                f"is not valid: {first['msg']}",
                f"give a value of type {cls._type_name(name)} "
                f"({cls._description(name) or 'see `sundial config show`'})") from None

    @classmethod
    def show(cls, backend: str) -> list[SettingValue]:
        """Every setting with its value (secrets masked) and where it came from."""
        _values, sources = gather(backend, cls.model_fields, {})
        current = cls.load(backend)
        return [SettingValue(name=name, value=cls.mask(name, getattr(current, name)),
                             source=sources[name], description=cls._description(name))
                for name in cls.model_fields]

    @classmethod
    def mask(cls, name: str, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, SecretStr) or name in cls.secret_fields:
            return "********" if str(value) else ""
        return mask_url(str(value))

    @classmethod
    def _description(cls, name: str) -> str:
        info = cls.model_fields.get(name)
        return (info.description or "") if info is not None else ""

    @classmethod
    def _type_name(cls, name: str) -> str:
        info = cls.model_fields.get(name)
        annotation = info.annotation if info is not None else None
        return getattr(annotation, "__name__", str(annotation))

