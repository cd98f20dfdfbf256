"""证书查询: public certificate verification (issue 6: being written)."""
from flask import Blueprint

bp = Blueprint("verify", __name__, url_prefix="/verify")
