from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.business_linkage import BusinessLinkage
    from ..models.business_reference import BusinessReference


T = TypeVar("T", bound="CreateOrderRelationships")


@_attrs_define
class CreateOrderRelationships:
    """
    Attributes:
        business (BusinessLinkage | BusinessReference): The business ordered from.
    """

    business: BusinessLinkage | BusinessReference
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.business_linkage import BusinessLinkage  # noqa: PLC0415

        business: dict[str, Any]
        if isinstance(self.business, BusinessLinkage):
            business = self.business.to_dict()
        else:
            business = self.business.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "business": business,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.business_linkage import BusinessLinkage  # noqa: PLC0415
        from ..models.business_reference import BusinessReference  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_business(data: object) -> BusinessLinkage | BusinessReference:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                business_type_0 = BusinessLinkage.from_dict(data)

                return business_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            business_type_1 = BusinessReference.from_dict(data)

            return business_type_1

        business = _parse_business(d.pop("business"))

        create_order_relationships = cls(
            business=business,
        )

        create_order_relationships.additional_properties = d
        return create_order_relationships

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
