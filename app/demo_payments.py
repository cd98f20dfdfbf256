"""Demo payments (SPEC C1–C7), loaded after the demo registrations and orders:
a gateway transaction for each paid order, a refundable exam with its
policy, a transfer voucher awaiting Finance, an invoice request and a
refund request.  Running it twice changes nothing."""
import io

from PIL import Image, ImageDraw

from app.extensions import db
from app.services import files, payments
from models import Invoice, Order, Payment, Person, Refund
from models.enums import OrderStatus, PayerType, PaymentMethod, PaymentStatus, RequestStatus

REFUND_POLICY = "考试开始前可申请退费，经财务审核通过后原路退回；考试开始后不予退费。"


def _voucher_png(order):
    image = Image.new("RGB", (480, 300), (245, 245, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 470, 290), outline=(31, 78, 121), width=3)
    draw.text((30, 40), "BANK TRANSFER RECEIPT (DEMO)", fill=(31, 78, 121))
    draw.text((30, 100), f"Order {order.order_no}", fill=(0, 0, 0))
    draw.text((30, 140), f"Amount CNY {order.amount}", fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def demo_payments():
    if db.session.query(Payment.id).first() is not None:
        return  # already loaded
    paid = (db.session.query(Order).filter(Order.status == OrderStatus.PAID.value, Order.amount > 0,
                                           Order.parent_id.is_(None)).order_by(Order.id).all())
    for order in paid:
        order.method = order.method or PaymentMethod.ONLINE.value
        db.session.add(Payment(order_id=order.id, method=PaymentMethod.ONLINE.value, gateway="sandbox",
                               transaction_id=f"SBXDEMO{order.id:010d}", amount=order.amount,
                               status=PaymentStatus.CONFIRMED.value, raw_notification={"demo": "1"}))
    # the open exam takes refund requests until it starts
    refundable = {order.registration.exam_plan for order in paid if order.registration is not None
                  and order.registration.exam_plan.status in ("open", "not_started")}
    for plan in refundable:
        plan.refundable, plan.refund_policy = True, plan.refund_policy or REFUND_POLICY
    if paid:
        db.session.add(Invoice(order_id=paid[0].id, title=paid[0].person.name if paid[0].person else "个人",
                               email="invoice@demo.example", status=RequestStatus.REQUESTED.value))
    for order in paid:
        if order.registration is not None and order.registration.exam_plan in refundable and order is not paid[0]:
            order.status = OrderStatus.REFUNDING.value
            db.session.add(Refund(order_id=order.id, amount=order.amount, reason="工作安排冲突，无法参加考试。",
                                  status=RequestStatus.REQUESTED.value))
            break
    unpaid = (db.session.query(Order).filter(Order.status == OrderStatus.UNPAID.value, Order.amount > 0,
                                             Order.payer_type == PayerType.PERSON.value,
                                             Order.parent_id.is_(None)).order_by(Order.id).first())
    if unpaid is not None:
        voucher = files.store(_voucher_png(unpaid), "转账凭证.png", "image/png", "voucher", person=unpaid.person,
                              institution_id=unpaid.institution_id)
        db.session.flush()
        db.session.add(Payment(order_id=unpaid.id, method=PaymentMethod.OFFLINE.value, amount=unpaid.amount,
                               status=PaymentStatus.PENDING.value, voucher_id=voucher.id))
    db.session.commit()


def demo_refund():
    """One refund Finance approved through the service (I2's refunds by month has a figure); once."""
    from flask import current_app

    if db.session.query(Refund.id).filter_by(status=RequestStatus.DONE.value).first() is not None:
        return
    order = (db.session.query(Order).join(Person, Person.id == Order.person_id)  # not a demo account's order
             .filter(Order.status == OrderStatus.PAID.value, Order.amount > 0, Order.parent_id.is_(None),
                     Order.registration_id.is_not(None), Person.user_id.is_(None))
             .order_by(Order.id.desc()).first())
    finance = current_app.appbuilder.sm.find_user(username="finance")
    if order is None or finance is None:
        return
    order.status = OrderStatus.REFUNDING.value
    refund = Refund(order_id=order.id, amount=order.amount, reason="考试时间与单位安排冲突。",
                    status=RequestStatus.REQUESTED.value)
    db.session.add(refund)
    db.session.commit()
    payments.approve_refund(refund.id, finance)


def pay_matter_in_sandbox(matter):
    """F2/F10: the matter's fee order paid through the sandbox gateway's signed notification, as a payer would."""
    order = payments.matter_order(matter)
    params = payments.GATEWAYS["sandbox"].notification_for({"order_no": order.order_no,
                                                            "amount": payments.money(order.amount)})
    payments.handle_notification("sandbox", params)
