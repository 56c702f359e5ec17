from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.create_payment_attributes_type_0 import CreatePaymentAttributesType0
    from ..models.create_payment_attributes_type_1 import CreatePaymentAttributesType1
    from ..models.create_payment_relationships import CreatePaymentRelationships


T = TypeVar("T", bound="CreatePaymentData")


@_attrs_define
class CreatePaymentData:
    """Form Data needed when creating a new payment for an order.

    Attributes:
        type_ (Literal['payments']): Provide Payment `type`. Current selection is only **payments**.
        attributes (CreatePaymentAttributesType0 | CreatePaymentAttributesType1): Attributes object. Exactly one of
            `stripe_token` and `stripe_payment_method_id`
            (neither: `422 missing_payment_source`; both: `422 ambiguous_payment_source`).
        relationships (CreatePaymentRelationships): Relationships object with **`order`** object.
    """

    type_: Literal["payments"]
    attributes: CreatePaymentAttributesType0 | CreatePaymentAttributesType1
    relationships: CreatePaymentRelationships
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.create_payment_attributes_type_0 import CreatePaymentAttributesType0  # noqa: PLC0415

        type_ = self.type_

        attributes: dict[str, Any]
        if isinstance(self.attributes, CreatePaymentAttributesType0):
            attributes = self.attributes.to_dict()
        else:
            attributes = self.attributes.to_dict()

        relationships = self.relationships.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "attributes": attributes,
                "relationships": relationships,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.create_payment_attributes_type_0 import CreatePaymentAttributesType0  # noqa: PLC0415
        from ..models.create_payment_attributes_type_1 import CreatePaymentAttributesType1  # noqa: PLC0415
        from ..models.create_payment_relationships import CreatePaymentRelationships  # noqa: PLC0415

        d = dict(src_dict)
        type_ = cast(Literal["payments"], d.pop("type"))
        if type_ != "payments":
            raise ValueError(f"type must match const 'payments', got '{type_}'")

        def _parse_attributes(data: object) -> CreatePaymentAttributesType0 | CreatePaymentAttributesType1:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_create_payment_attributes_type_0 = CreatePaymentAttributesType0.from_dict(data)

                return componentsschemas_create_payment_attributes_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_create_payment_attributes_type_1 = CreatePaymentAttributesType1.from_dict(data)

            return componentsschemas_create_payment_attributes_type_1

        attributes = _parse_attributes(d.pop("attributes"))

        relationships = CreatePaymentRelationships.from_dict(d.pop("relationships"))

        create_payment_data = cls(
            type_=type_,
            attributes=attributes,
            relationships=relationships,
        )

        create_payment_data.additional_properties = d
        return create_payment_data

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
