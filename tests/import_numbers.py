"""ID numbers and mobile numbers for the import tests, unused elsewhere.  In a module of their own, imported as
``tests.import_numbers`` by everyone: pytest loads a test module a second time when another imports it
(``test_imports`` and ``tests.test_imports``), and two copies of these counters handed out the same numbers."""
import datetime
import itertools

from app.identity import check_digit

_seq = itertools.count(1)
_phones = itertools.count(1)


def id_number(last_x=False):
    """A valid resident ID number not used elsewhere (area 440305, a date per call)."""
    while True:
        n = next(_seq)
        birth = datetime.date(1995, 1, 1) + datetime.timedelta(days=n)
        first17 = f"440305{birth:%Y%m%d}{n % 1000:03d}"
        if (check_digit(first17) == "X") == last_x:
            return first17 + check_digit(first17)


def male_id():
    while True:
        number = id_number()
        if int(number[16]) % 2:
            return number


def phone():
    return f"186{next(_phones) + 5000000:08d}"
