from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.payment_linkage import PaymentLinkage
    from ..models.payment_reference import PaymentReference


T = TypeVar("T", bound="CreateRefundRelationships")


@_attrs_define
class CreateRefundRelationships:
    """
    Attributes:
        payment (PaymentLinkage | PaymentReference): The payment to refund.
    """

    payment: PaymentLinkage | PaymentReference
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.payment_linkage import PaymentLinkage  # noqa: PLC0415

        payment: dict[str, Any]
        if isinstance(self.payment, PaymentLinkage):
            payment = self.payment.to_dict()
        else:
            payment = self.payment.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "payment": payment,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.payment_linkage import PaymentLinkage  # noqa: PLC0415
        from ..models.payment_reference import PaymentReference  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_payment(data: object) -> PaymentLinkage | PaymentReference:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                payment_type_0 = PaymentLinkage.from_dict(data)

                return payment_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            payment_type_1 = PaymentReference.from_dict(data)

            return payment_type_1

        payment = _parse_payment(d.pop("payment"))

        create_refund_relationships = cls(
            payment=payment,
        )

        create_refund_relationships.additional_properties = d
        return create_refund_relationships

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
