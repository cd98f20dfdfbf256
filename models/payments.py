"""Orders, payments, invoices and refunds (SPEC C1–C7)."""
from sqlalchemy import JSON, DateTime, Integer, Numeric, String, Text
from sqlalchemy.orm import mapped_column, relationship

from models.base import Model, TimestampMixin, _l, code_col, col, fk
from models.enums import OrderStatus, PayerType, PaymentMethod, PaymentStatus, RequestStatus


class Order(TimestampMixin, Model):
    __tablename__ = "payment_order"
    id = mapped_column(Integer, primary_key=True)
    order_no = col(String(32), _l("Order number"), nullable=False, unique=True)
    registration_id = fk("registration.id", _l("Registration"))
    registration = relationship("Registration", info={"label": _l("Registration")})
    # F2/F10: the fee of a matter (personnel registration, membership); paying it moves the matter on
    matter_id = fk("matter.id", _l("Matter"))
    matter = relationship("Matter", info={"label": _l("Matter")})
    payer_type = code_col(PayerType, _l("Payer"), default=PayerType.PERSON)
    person_id = fk("person.id", _l("Candidate"))
    person = relationship("Person", info={"label": _l("Candidate")})
    institution_id = fk("institution.id", _l("Institution"))
    institution = relationship("Institution", info={"label": _l("Institution")})
    description = col(String(255), _l("Description"))
    amount = col(Numeric(10, 2), _l("Amount (yuan)"), nullable=False)
    status = code_col(OrderStatus, _l("Status"), default=OrderStatus.UNPAID)
    method = code_col(PaymentMethod, _l("Payment method"), nullable=True)
    expires_at = col(DateTime, _l("Expires at"))
    paid_at = col(DateTime, _l("Paid at"), index=True)  # I2: fees by period, today's
    # C4: an institution's batch order pays its children (one order per registration)
    parent_id = fk("payment_order.id", _l("Batch order"))
    parent = relationship("Order", remote_side=[id], back_populates="children", info={"label": _l("Batch order")})
    children = relationship("Order", back_populates="parent", info={"label": _l("Orders in the batch")})

    def __repr__(self):
        return self.order_no


class Payment(TimestampMixin, Model):
    """A gateway notification or an offline voucher for an order."""
    __tablename__ = "payment"
    __scope__ = {"Institution": "order.institution_id"}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    order_id = fk("payment_order.id", _l("Order"), nullable=False)
    order = relationship("Order", info={"label": _l("Order")})
    method = code_col(PaymentMethod, _l("Payment method"), default=PaymentMethod.ONLINE)
    gateway = col(String(32), _l("Gateway"))
    transaction_id = col(String(64), _l("Transaction number"), unique=True)
    amount = col(Numeric(10, 2), _l("Amount (yuan)"), nullable=False)
    status = code_col(PaymentStatus, _l("Status"), default=PaymentStatus.PENDING)
    voucher_id = fk("attachment.id", _l("Transfer voucher"))
    raw_notification = col(JSON, _l("Raw notification"))
    confirmed_by_id = fk("ab_user.id", _l("Confirmed by"))
    note = col(Text, _l("Note"))


class Invoice(TimestampMixin, Model):
    """C5"""
    __tablename__ = "invoice"
    __scope__ = {"Institution": "order.institution_id"}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    order_id = fk("payment_order.id", _l("Order"), nullable=False)
    order = relationship("Order", info={"label": _l("Order")})
    title = col(String(128), _l("Invoice title"), nullable=False)
    tax_no = col(String(32), _l("Tax number"))
    email = col(String(120), _l("E-mail"), nullable=False)
    status = code_col(RequestStatus, _l("Status"), default=RequestStatus.REQUESTED)


class Refund(TimestampMixin, Model):
    """C6"""
    __tablename__ = "refund"
    __scope__ = {"Institution": "order.institution_id"}  # who reaches which rows (app.scoping)
    id = mapped_column(Integer, primary_key=True)
    order_id = fk("payment_order.id", _l("Order"), nullable=False)
    order = relationship("Order", info={"label": _l("Order")})
    amount = col(Numeric(10, 2), _l("Amount (yuan)"), nullable=False)
    reason = col(Text, _l("Reason"), nullable=False)
    status = code_col(RequestStatus, _l("Status"), default=RequestStatus.REQUESTED)
    handled_by_id = fk("ab_user.id", _l("Handled by"))

