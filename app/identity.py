"""Identity rules: resident ID numbers (GB 11643) and other ID documents, password complexity."""
import datetime
import re

from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_CHARS = "10X98765432"


class IdNumberError(ValueError):
    pass


def check_digit(first17):
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def upgrade_15(number):
    """A legacy 15-digit number becomes 18 digits (century 19, check digit added)."""
    first17 = number[:6] + "19" + number[6:]
    return first17 + check_digit(first17)


def parse_resident_id(value):
    """Validate and normalise; returns (number, birth_date, gender_code)."""
    number = (value or "").strip().upper()
    if re.fullmatch(r"\d{15}", number):
        number = upgrade_15(number)
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise IdNumberError(_("An ID number has 18 characters: 17 digits and a digit or X."))
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError(_("The date of birth in the ID number is not a real date.")) from None
    if not datetime.date(1900, 1, 1) <= birth <= datetime.date.today():
        raise IdNumberError(_("The date of birth in the ID number is not a real date."))
    if check_digit(number[:17]) != number[17]:
        raise IdNumberError(_("The check digit of the ID number is wrong."))
    gender = "male" if int(number[16]) % 2 else "female"
    return number, birth, gender


# other documents: their number forms (no check digit is published for them); the 港澳台居民居住证
# is an 18-digit number (81/82/83…) with the GB 11643 check digit, entered as a resident ID card
OTHER_ID_FORMS = {
    "passport": (r"[A-Z0-9]{5,20}", _l("A passport number has 5 to 20 letters and digits.")),
    "hk_macao": (r"[HM]\d{8}(\d{2})?", _l("A Hong Kong and Macao residents' travel permit number is H or M "
                                        "followed by 8 or 10 digits.")),
    "taiwan": (r"\d{8}|\d{10}(\([A-Z]\))?", _l("A Taiwan residents' travel permit number has 8 digits "
                                             "(older permits: 10 digits).")),
    "officer": (r"[\u4e00-\u9fff]{1,4}字第\d{4,12}号?|[A-Z0-9]{5,20}",
                _l("A military officer card number reads like 南字第2011123号, or has 5 to 20 letters and "
                   "digits.")),
}


def parse_id_number(id_type, value):
    """Validate and normalise a number of the ``IdType`` code ``id_type``; returns
    (number, birth_date, gender_code), the last two only from a resident ID number."""
    if id_type == "resident":
        return parse_resident_id(value)
    number = (value or "").strip().upper().replace("（", "(").replace("）", ")").replace(" ", "")
    pattern, message = OTHER_ID_FORMS.get(id_type, OTHER_ID_FORMS["passport"])  # a new type: the generic form
    if not re.fullmatch(pattern, number):
        raise IdNumberError(str(message))
    return number, None, None


def password_complexity(password):
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: at least 8 characters, letters and digits."""
    if len(password or "") < 8 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise PasswordComplexityValidationError(_("The password needs at least 8 characters, with letters and digits."))
