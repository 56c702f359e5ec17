from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.error_source import ErrorSource


T = TypeVar("T", bound="Error")


@_attrs_define
class Error:
    """One problem.

    Attributes:
        status (str): The HTTP status, as a string.
        code (str): Stable, snake_case, machine-readable.
        title (str):
        detail (str):
        source (ErrorSource | None | Unset): When a request member is at fault.
    """

    status: str
    code: str
    title: str
    detail: str
    source: ErrorSource | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.error_source import ErrorSource  # noqa: PLC0415

        status = self.status

        code = self.code

        title = self.title

        detail = self.detail

        source: dict[str, Any] | None | Unset
        if isinstance(self.source, Unset):
            source = UNSET
        elif isinstance(self.source, ErrorSource):
            source = self.source.to_dict()
        else:
            source = self.source

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
                "code": code,
                "title": title,
                "detail": detail,
            }
        )
        if source is not UNSET:
            field_dict["source"] = source

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.error_source import ErrorSource  # noqa: PLC0415

        d = dict(src_dict)
        status = d.pop("status")

        code = d.pop("code")

        title = d.pop("title")

        detail = d.pop("detail")

        def _parse_source(data: object) -> ErrorSource | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                source_type_0 = ErrorSource.from_dict(data)

                return source_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ErrorSource | None | Unset, data)

        source = _parse_source(d.pop("source", UNSET))

        error = cls(
            status=status,
            code=code,
            title=title,
            detail=detail,
            source=source,
        )

        error.additional_properties = d
        return error

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
