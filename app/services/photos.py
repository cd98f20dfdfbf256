"""Photos (SPEC A7): checked with Pillow against rules an exam may override,
decompression bombs refused, re-encoded before they are stored.

Rules (all optional): formats ["jpeg", "png"], max_bytes, min_bytes,
size [w, h] (exact), min_size [w, h], ratio w/h with 3 % tolerance,
background "white" | "blue" | "red".
"""
import io
import warnings

from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

DEFAULT_RULES = {"formats": ["jpeg", "png"], "max_bytes": 5 * 1024 * 1024, "min_size": [295, 413],
                 "ratio": 295 / 413}
MAX_PIXELS = 40_000_000  # a real ID photo is well under one megapixel
PIL_FORMATS = {"jpeg": "JPEG", "jpg": "JPEG", "png": "PNG"}


class PhotoError(ValueError):
    pass


def background_colour(image):
    """The colour of the border strip: white, blue, red, or other."""
    rgb = image.convert("RGB")
    w, h = rgb.size
    strip = max(2, min(w, h) // 20)
    boxes = [(0, 0, w, strip), (0, 0, strip, h // 2), (w - strip, 0, w, h // 2)]
    pixels = [p for box in boxes for p in rgb.crop(box).getdata()]
    r, g, b = (sum(p[i] for p in pixels) / len(pixels) for i in range(3))
    if r > 200 and g > 200 and b > 200:
        return "white"
    if b > r + 40 and b > g + 10:
        return "blue"
    if r > g + 60 and r > b + 60:
        return "red"
    return "other"


def colour_label(colour):
    return {"white": _("white"), "blue": _("blue"), "red": _("red")}.get(colour, _("another colour"))


def background_problem(image, want):
    """Why the background is not ``want`` (white/blue/red), or None when it is."""
    found = background_colour(image)
    if found == want:
        return None
    return _("The background must be %(want)s; this one is %(found)s.", want=colour_label(want),
             found=colour_label(found))


def check_and_reencode(data, rules=None):
    """The photo as fresh JPEG bytes, or PhotoError saying why not."""
    rules = rules or {}
    if "size" in rules:  # an exact size replaces the default minimum and ratio
        rules = {"min_size": None, "ratio": None, **rules}
    rules = {**DEFAULT_RULES, **rules}
    if rules.get("max_bytes") and len(data) > rules["max_bytes"]:
        raise PhotoError(_("The photo is larger than %(kb)d KB.", kb=rules["max_bytes"] // 1024))
    if rules.get("min_bytes") and len(data) < rules["min_bytes"]:
        raise PhotoError(_("The photo is smaller than %(kb)d KB.", kb=rules["min_bytes"] // 1024))
    formats = [PIL_FORMATS[f] for f in rules["formats"] if f in PIL_FORMATS]
    names = "/".join(sorted({f.upper().replace("JPEG", "JPG") for f in formats}))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            with Image.open(io.BytesIO(data), formats=formats) as probe:
                probe.verify()
            image = Image.open(io.BytesIO(data), formats=formats)
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoError(_("The picture has far too many pixels.")) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise PhotoError(_("Only %(formats)s pictures are accepted.", formats=names)) from None
    w, h = image.size
    if rules.get("size") and [w, h] != list(rules["size"]):
        raise PhotoError(_("The photo must be %(w)d × %(h)d pixels; this one is %(pw)d × %(ph)d.",
                           w=rules["size"][0], h=rules["size"][1], pw=w, ph=h))
    if rules.get("min_size") and (w < rules["min_size"][0] or h < rules["min_size"][1]):
        raise PhotoError(_("The photo must be at least %(w)d × %(h)d pixels; this one is %(pw)d × %(ph)d.",
                           w=rules["min_size"][0], h=rules["min_size"][1], pw=w, ph=h))
    if rules.get("ratio") and abs(w / h - rules["ratio"]) > rules["ratio"] * 0.03:
        raise PhotoError(_("The photo must be a portrait of width to height about %(r).2f.", r=rules["ratio"]))
    problem = rules.get("background") and background_problem(image, rules["background"])
    if problem:
        raise PhotoError(problem)
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=90)  # drops EXIF and anything hidden in the file
    return out.getvalue()
