"""Contains all the data models used in inputs/outputs"""

from .business_identifier import BusinessIdentifier
from .business_identifier_type_type_0 import BusinessIdentifierTypeType0
from .business_linkage import BusinessLinkage
from .business_reference import BusinessReference
from .business_reference_type_type_0 import BusinessReferenceTypeType0
from .card import Card
from .card_attributes import CardAttributes
from .card_document import CardDocument
from .card_list import CardList
from .create_order_attributes import CreateOrderAttributes
from .create_order_data import CreateOrderData
from .create_order_data_body import CreateOrderDataBody
from .create_order_data_body_datarelationshipsbusinessdatatype import (
    CreateOrderDataBodyDatarelationshipsbusinessdatatype,
)
from .create_order_data_body_datarelationshipsbusinesstype import CreateOrderDataBodyDatarelationshipsbusinesstype
from .create_order_data_body_datatype import CreateOrderDataBodyDatatype
from .create_order_files_body import CreateOrderFilesBody
from .create_order_files_body_datarelationshipsbusinessdatatype import (
    CreateOrderFilesBodyDatarelationshipsbusinessdatatype,
)
from .create_order_files_body_datarelationshipsbusinesstype import CreateOrderFilesBodyDatarelationshipsbusinesstype
from .create_order_files_body_datatype import CreateOrderFilesBodyDatatype
from .create_order_relationships import CreateOrderRelationships
from .create_order_request import CreateOrderRequest
from .create_payment_attributes_type_0 import CreatePaymentAttributesType0
from .create_payment_attributes_type_1 import CreatePaymentAttributesType1
from .create_payment_data import CreatePaymentData
from .create_payment_data_body import CreatePaymentDataBody
from .create_payment_data_body_datarelationshipsorderdatatype import CreatePaymentDataBodyDatarelationshipsorderdatatype
from .create_payment_data_body_datarelationshipsordertype import CreatePaymentDataBodyDatarelationshipsordertype
from .create_payment_data_body_datatype import CreatePaymentDataBodyDatatype
from .create_payment_files_body import CreatePaymentFilesBody
from .create_payment_files_body_datarelationshipsorderdatatype import (
    CreatePaymentFilesBodyDatarelationshipsorderdatatype,
)
from .create_payment_files_body_datarelationshipsordertype import CreatePaymentFilesBodyDatarelationshipsordertype
from .create_payment_files_body_datatype import CreatePaymentFilesBodyDatatype
from .create_payment_relationships import CreatePaymentRelationships
from .create_payment_request import CreatePaymentRequest
from .create_refund_attributes import CreateRefundAttributes
from .create_refund_attributes_reason_type_0 import CreateRefundAttributesReasonType0
from .create_refund_data import CreateRefundData
from .create_refund_data_body import CreateRefundDataBody
from .create_refund_data_body_dataattributesreason import CreateRefundDataBodyDataattributesreason
from .create_refund_data_body_datarelationshipspaymentdatatype import (
    CreateRefundDataBodyDatarelationshipspaymentdatatype,
)
from .create_refund_data_body_datarelationshipspaymenttype import CreateRefundDataBodyDatarelationshipspaymenttype
from .create_refund_data_body_datatype import CreateRefundDataBodyDatatype
from .create_refund_files_body import CreateRefundFilesBody
from .create_refund_files_body_dataattributesreason import CreateRefundFilesBodyDataattributesreason
from .create_refund_files_body_datarelationshipspaymentdatatype import (
    CreateRefundFilesBodyDatarelationshipspaymentdatatype,
)
from .create_refund_files_body_datarelationshipspaymenttype import CreateRefundFilesBodyDatarelationshipspaymenttype
from .create_refund_files_body_datatype import CreateRefundFilesBodyDatatype
from .create_refund_relationships import CreateRefundRelationships
from .create_refund_request import CreateRefundRequest
from .error import Error
from .error_document import ErrorDocument
from .error_document_meta_type_0 import ErrorDocumentMetaType0
from .error_source import ErrorSource
from .health import Health
from .health_status import HealthStatus
from .identifier import Identifier
from .list_links import ListLinks
from .list_meta import ListMeta
from .order import Order
from .order_attributes import OrderAttributes
from .order_attributes_reject_reason_type_0 import OrderAttributesRejectReasonType0
from .order_attributes_state import OrderAttributesState
from .order_document import OrderDocument
from .order_element import OrderElement
from .order_element_request import OrderElementRequest
from .order_identifier import OrderIdentifier
from .order_identifier_type_type_0 import OrderIdentifierTypeType0
from .order_linkage import OrderLinkage
from .order_list import OrderList
from .order_reference import OrderReference
from .order_reference_type_type_0 import OrderReferenceTypeType0
from .order_relationships import OrderRelationships
from .payment import Payment
from .payment_attributes import PaymentAttributes
from .payment_attributes_next_action_type_0 import PaymentAttributesNextActionType0
from .payment_attributes_state import PaymentAttributesState
from .payment_document import PaymentDocument
from .payment_error_document import PaymentErrorDocument
from .payment_error_meta import PaymentErrorMeta
from .payment_identifier import PaymentIdentifier
from .payment_identifier_type_type_0 import PaymentIdentifierTypeType0
from .payment_linkage import PaymentLinkage
from .payment_list import PaymentList
from .payment_reference import PaymentReference
from .payment_reference_type_type_0 import PaymentReferenceTypeType0
from .payment_relationships import PaymentRelationships
from .payments_relationship import PaymentsRelationship
from .receive_stripe_event_body import ReceiveStripeEventBody
from .receive_stripe_event_body_data import ReceiveStripeEventBodyData
from .receive_stripe_event_body_data_object import ReceiveStripeEventBodyDataObject
from .refund import Refund
from .refund_attributes import RefundAttributes
from .refund_attributes_state import RefundAttributesState
from .refund_document import RefundDocument
from .refund_relationships import RefundRelationships
from .reject_order_attributes import RejectOrderAttributes
from .reject_order_attributes_reject_reason import RejectOrderAttributesRejectReason
from .reject_order_data import RejectOrderData
from .reject_order_data_body import RejectOrderDataBody
from .reject_order_data_body_dataattributesreject_reason import RejectOrderDataBodyDataattributesrejectReason
from .reject_order_data_body_datatype import RejectOrderDataBodyDatatype
from .reject_order_files_body import RejectOrderFilesBody
from .reject_order_files_body_dataattributesreject_reason import RejectOrderFilesBodyDataattributesrejectReason
from .reject_order_files_body_datatype import RejectOrderFilesBodyDatatype
from .reject_order_request import RejectOrderRequest
from .related_link import RelatedLink
from .save_card_attributes import SaveCardAttributes
from .save_card_data import SaveCardData
from .save_card_data_body import SaveCardDataBody
from .save_card_data_body_datatype import SaveCardDataBodyDatatype
from .save_card_files_body import SaveCardFilesBody
from .save_card_files_body_datatype import SaveCardFilesBodyDatatype
from .save_card_request import SaveCardRequest
from .self_link import SelfLink
from .to_one import ToOne

__all__ = (
    "BusinessIdentifier",
    "BusinessIdentifierTypeType0",
    "BusinessLinkage",
    "BusinessReference",
    "BusinessReferenceTypeType0",
    "Card",
    "CardAttributes",
    "CardDocument",
    "CardList",
    "CreateOrderAttributes",
    "CreateOrderData",
    "CreateOrderDataBody",
    "CreateOrderDataBodyDatarelationshipsbusinessdatatype",
    "CreateOrderDataBodyDatarelationshipsbusinesstype",
    "CreateOrderDataBodyDatatype",
    "CreateOrderFilesBody",
    "CreateOrderFilesBodyDatarelationshipsbusinessdatatype",
    "CreateOrderFilesBodyDatarelationshipsbusinesstype",
    "CreateOrderFilesBodyDatatype",
    "CreateOrderRelationships",
    "CreateOrderRequest",
    "CreatePaymentAttributesType0",
    "CreatePaymentAttributesType1",
    "CreatePaymentData",
    "CreatePaymentDataBody",
    "CreatePaymentDataBodyDatarelationshipsorderdatatype",
    "CreatePaymentDataBodyDatarelationshipsordertype",
    "CreatePaymentDataBodyDatatype",
    "CreatePaymentFilesBody",
    "CreatePaymentFilesBodyDatarelationshipsorderdatatype",
    "CreatePaymentFilesBodyDatarelationshipsordertype",
    "CreatePaymentFilesBodyDatatype",
    "CreatePaymentRelationships",
    "CreatePaymentRequest",
    "CreateRefundAttributes",
    "CreateRefundAttributesReasonType0",
    "CreateRefundData",
    "CreateRefundDataBody",
    "CreateRefundDataBodyDataattributesreason",
    "CreateRefundDataBodyDatarelationshipspaymentdatatype",
    "CreateRefundDataBodyDatarelationshipspaymenttype",
    "CreateRefundDataBodyDatatype",
    "CreateRefundFilesBody",
    "CreateRefundFilesBodyDataattributesreason",
    "CreateRefundFilesBodyDatarelationshipspaymentdatatype",
    "CreateRefundFilesBodyDatarelationshipspaymenttype",
    "CreateRefundFilesBodyDatatype",
    "CreateRefundRelationships",
    "CreateRefundRequest",
    "Error",
    "ErrorDocument",
    "ErrorDocumentMetaType0",
    "ErrorSource",
    "Health",
    "HealthStatus",
    "Identifier",
    "ListLinks",
    "ListMeta",
    "Order",
    "OrderAttributes",
    "OrderAttributesRejectReasonType0",
    "OrderAttributesState",
    "OrderDocument",
    "OrderElement",
    "OrderElementRequest",
    "OrderIdentifier",
    "OrderIdentifierTypeType0",
    "OrderLinkage",
    "OrderList",
    "OrderReference",
    "OrderReferenceTypeType0",
    "OrderRelationships",
    "Payment",
    "PaymentAttributes",
    "PaymentAttributesNextActionType0",
    "PaymentAttributesState",
    "PaymentDocument",
    "PaymentErrorDocument",
    "PaymentErrorMeta",
    "PaymentIdentifier",
    "PaymentIdentifierTypeType0",
    "PaymentLinkage",
    "PaymentList",
    "PaymentReference",
    "PaymentReferenceTypeType0",
    "PaymentRelationships",
    "PaymentsRelationship",
    "ReceiveStripeEventBody",
    "ReceiveStripeEventBodyData",
    "ReceiveStripeEventBodyDataObject",
    "Refund",
    "RefundAttributes",
    "RefundAttributesState",
    "RefundDocument",
    "RefundRelationships",
    "RejectOrderAttributes",
    "RejectOrderAttributesRejectReason",
    "RejectOrderData",
    "RejectOrderDataBody",
    "RejectOrderDataBodyDataattributesrejectReason",
    "RejectOrderDataBodyDatatype",
    "RejectOrderFilesBody",
    "RejectOrderFilesBodyDataattributesrejectReason",
    "RejectOrderFilesBodyDatatype",
    "RejectOrderRequest",
    "RelatedLink",
    "SaveCardAttributes",
    "SaveCardData",
    "SaveCardDataBody",
    "SaveCardDataBodyDatatype",
    "SaveCardFilesBody",
    "SaveCardFilesBodyDatatype",
    "SaveCardRequest",
    "SelfLink",
    "ToOne",
)
