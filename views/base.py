"""Base classes for every generated back-office view and REST API.

One place for: labels from the models, translated enum values, row scope
(lists, show/edit/delete, actions, pickers, API), the Institution user's
own institution forced on writes, and safe paging/sorting.
"""
import datetime

from flask import abort, current_app, g, has_request_context, jsonify, request, url_for
from flask_appbuilder import ModelRestApi, ModelView, expose, has_access
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.urltools import get_filter_args
from flask_appbuilder.widgets import ListWidget, RenderTemplateWidget, SearchWidget
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow.validate import OneOf, Range
from sqlalchemy import Integer, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import BadRequest
from wtforms import SelectField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired
from wtforms.validators import Optional as OptionalValidator

from app import listing
from app.exports import EXPORT_BATCH, EXPORT_JOB_MAX_ROWS, EXPORT_MAX_ROWS, send_xlsx
from app.extensions import db
from app.hardening import DB_INT_MAX, page_number
from app.roles import INSTITUTION
from app.scoping import DEFAULT_SCOPE, ScopeFilter, scope_clause, sees_all
from views import pickers

AUTO = object()
HIDDEN_COLUMNS = {"id_number_enc", "id_number_hash", "password", "session_version"}
AUTOMATIC_COLUMNS = {"created_at", "updated_at"}  # set by the model, never typed


def column_info(model):
    """(name, info) of every mapped column and relationship that has a label."""
    mapper = sa_inspect(model)
    for attr in list(mapper.column_attrs) + list(mapper.relationships):
        info = attr.columns[0].info if hasattr(attr, "columns") else attr.info
        if "label" in info:
            yield attr.key, info


def enum_columns(model):
    return {name: info["enum"] for name, info in column_info(model) if "enum" in info}


def target_scope(model):
    """The scope mapping for rows of ``model`` when picked or related, or None."""
    scope = getattr(model, "__scope__", None)
    if scope is not None:
        return scope
    if "institution_id" in sa_inspect(model).columns:
        return DEFAULT_SCOPE
    return None


# model -> rule(item) giving why a generic form or API may not write the row (or None);
# for rules of a domain service that the generic views must respect too
WRITE_RULES = {}


class Refused(BadRequest):
    """A write refused by a rule; reads as its message alone (FAB's API shows str())."""

    def __str__(self):
        return str(self.description)


def check_related_scope(item, user):
    """Refuse a write that links ``item`` to a row the user may not reach,
    whether the relationship object or only its foreign key was set."""
    if sees_all(user):
        return
    mapper = sa_inspect(type(item))
    state = sa_inspect(item)
    for rel in mapper.relationships:
        target = rel.mapper.class_
        scope = target_scope(target)
        if rel.direction.name != "MANYTOONE" or scope is None:
            continue
        fk_key = mapper.get_property_by_column(next(iter(rel.local_columns))).key
        if state.persistent and not (state.attrs[rel.key].history.has_changes()
                                     or state.attrs[fk_key].history.has_changes()):
            continue  # an edit that leaves this link alone
        related = item.__dict__.get(rel.key)  # what was assigned; never lazy-loads
        if related is not None:
            value = sa_inspect(related).identity[0] if sa_inspect(related).identity else None
        else:
            value = getattr(item, fk_key)
        clause = scope_clause(target, scope, user)
        if value is None or clause is None:
            continue
        pk = rel.mapper.primary_key[0]
        with db.session.no_autoflush:  # the item itself must not be flushed by this look-up
            found = db.session.query(target).filter(clause, pk == value).first()
        if found is None:
            raise Refused(str(_l("You may not use this %(field)s.", field=rel.info.get("label", rel.key))))


def check_staff_fields(item, user):
    """Review decisions (``__staff_fields__``: status, approved counts …) are the
    association's: other roles may neither set nor change them."""
    if sees_all(user):
        return
    state = sa_inspect(item)
    for name in getattr(type(item), "__staff_fields__", ()):
        column = state.mapper.columns[name]
        if state.persistent:
            changed = state.attrs[name].history.has_changes()
        else:
            default = column.default.arg if column.default is not None and not callable(column.default.arg) else None
            changed = getattr(item, name) not in (None, default)
        if changed:
            raise Refused(str(_l("Only the association may set %(field)s.", field=column.info.get("label", name))))


def force_own_institution(item, user):
    if not sees_all(user) and "institution_id" in sa_inspect(type(item)).columns:
        item.institution_id = user.institution_id


def enum_label(enum, code):
    """A code's label, translated once a request (a list shows the same few labels in every row)."""
    if not has_request_context():
        return enum.label_of(code)
    labels = g.setdefault("_enum_labels", {})
    if (enum, code) not in labels:
        labels[enum, code] = str(enum.label_of(code))
    return labels[enum, code]


def display_value(value):
    """How a plain value reads in lists and detail pages."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return value


def enum_field(model, name, enum, label):
    """A select of translated labels; required (no blank) where the column is."""
    column = sa_inspect(model).columns[name]
    if column.nullable:
        return SelectField(label, choices=[("", "")] + enum.choices(), widget=Select2Widget(),
                           validators=[OptionalValidator()], filters=[lambda v: v or None])
    default = column.default.arg if column.default is not None else None
    return SelectField(label, choices=enum.choices(), default=default, widget=Select2Widget(),
                       validators=[DataRequired()])


def blank_text_for_pickers(form_class):
    """FAB's optional relationship pickers show their blank option as '__None'."""
    if form_class is None:
        return
    for name in dir(form_class):
        field = getattr(form_class, name, None)
        if isinstance(field, UnboundField) and field.field_class is QuerySelectField:
            field.kwargs["blank_text"] = "—"


# P1: the lists (model, filters, user) this process found longer than LIST_EXACT_COUNT rows: their first page
# is read the long way at once, without first reading the page and its count together
_LONG_LISTS = set()


class EagerInterface(SQLAInterface):
    """Lists load their many-to-one columns in the page's one SELECT (FAB lazy-loads them once per row),
    count at most LIST_EXACT_COUNT rows and read deep pages by key (app.listing)."""
    eager = ()

    def eager_options(self):
        """A JOIN per relationship column, and per relationship its target's ``__repr_loads__`` (what the
        target's text reads, e.g. an exam site's exam and site)."""
        options = []
        for name in self.eager:
            attr = getattr(self.obj, name)
            option = joinedload(attr)
            target = attr.property.mapper.class_
            nested = [option.joinedload(getattr(target, n)) for n in getattr(target, "__repr_loads__", ())]
            options += nested or [option]
        return options

    def apply_all(self, query, *args, **kwargs):
        return super().apply_all(query, *args, **kwargs).options(*self.eager_options())

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):
        if select_columns:  # the REST API's column selection: FAB's own path
            return super().query(filters, order_column, order_direction, page, page_size, select_columns,
                                 outer_default_load)
        filtered = self.apply_filters(self.session.query(self.obj), filters)
        pk, by_key = self.get_pk(), order_column in ("", self.get_pk_name())
        keyset = g.pop("list_keyset", None) if has_request_context() else None
        if keyset is not None and by_key and page:
            # the next or previous page of the one shown: the rows beyond its last (first) key, at any depth
            count = listing.count_rows(self.session, filtered, pk)
            rows = listing.keyset_page(filtered, pk, order_direction, *keyset, page_size).options(
                *self.eager_options()).all()
            items = rows[::-1] if keyset[0] == "before" else rows
            return self._edges(count, items)
        limit, size_key = current_app.config["LIST_EXACT_COUNT"], self._size_key(filters)
        page_of_keys = (listing.counted_page(filtered, pk, order_direction, page, page_size)
                        if by_key and size_key not in _LONG_LISTS else None)
        if page_of_keys is not None:
            # the page and its count in one statement, while at most LIST_EXACT_COUNT rows match
            rows = (self.session.query(self.obj, page_of_keys.c.total).join(page_of_keys, pk == page_of_keys.c.key)
                    .order_by(*listing.key_order(page_of_keys.c.key, order_direction))
                    .options(*self.eager_options()).all())
            count = listing.exact_total(self.session, filtered, pk, rows)
            if not count.estimated and count <= limit:
                return self._edges(count, [item for item, _total in rows])
            if len(_LONG_LISTS) > 1024:
                _LONG_LISTS.clear()
            _LONG_LISTS.add(size_key)  # the rows read were of the first rows matched, not the page: next time
        else:                          # the long way at once
            count = listing.count_rows(self.session, filtered, pk)
            if count <= limit:
                _LONG_LISTS.discard(size_key)
        paged = SQLAInterface.apply_all(self, self.session.query(self.obj), filters, order_column,
                                        order_direction, page, page_size)
        if page:  # a page jumped to: its keys from the index first (OFFSET over keys), then only its rows
            keys = paged.with_entities(pk).subquery()
            paged = self.apply_order_by(self.session.query(self.obj).filter(pk.in_(select(keys.c[0]))),
                                        order_column, order_direction, add_pk=True)
        return self._edges(count, paged.options(*self.eager_options()).all())

    def _size_key(self, filters):
        """What a list's length depends on: the model, the filters with their values (the scope's among
        them), the search box's text (KeywordFilter reads it from the request) and the user."""
        requested = has_request_context()
        values = tuple((flt.column_name, type(flt).__name__, repr(value))
                       for flt, value in zip(filters.filters, filters.values, strict=True)) if filters else ()
        return (self.obj, values, request.args.get("keyword", "") if requested else "",
                getattr(g.get("user"), "id", None) if requested else None)

    def _edges(self, count, items):
        """The first and last keys shown, for the next/previous links (keyset paging)."""
        if has_request_context() and items:
            g.list_edges = (getattr(items[0], self.get_pk_name()), getattr(items[-1], self.get_pk_name()))
        return count, items

    def is_nullable(self, col_name):
        # an unticked checkbox is a value (false), not a missing one: FAB would mark it required
        return self.is_boolean(col_name) or super().is_nullable(col_name)


class KeywordFilter(BaseFilter):
    """The list's search box (``?keyword=``): ``value`` is the view's clause builder (app.listing)."""
    name = "keyword"

    def apply(self, query, value):
        text = request.args.get("keyword", "").strip()[:64] if has_request_context() else ""
        return query.filter(value(self.model, text)) if text else query


class ScopedMixin:
    """Shared set-up of views and APIs generated for a model."""
    scope = AUTO  # role -> dotted path; AUTO = the model's; None = reference data, no row scope
    keyword_search = None  # (model, text) -> clause: the list's search box (app.listing), or none
    keyword_hint = None  # what the search box takes, as its placeholder

    def _scope_setup(self):
        model = self.datamodel.obj
        labels = {name: info["label"] for name, info in column_info(model)}
        self.label_columns = {**labels, **(self.label_columns or {})}
        if self.scope is AUTO:
            self.scope = target_scope(model)
        if self.scope is not None:
            self.base_filters = list(self.base_filters or []) + [
                [self.datamodel.get_pk_name(), ScopeFilter, self.scope]]
        search = type(self).keyword_search  # read off the class: a plain function, not a bound method
        if search is not None:
            self.base_filters = list(self.base_filters or []) + [[self.datamodel.get_pk_name(), KeywordFilter, search]]

    COLUMN_LISTS = ("list_columns", "show_columns", "add_columns", "edit_columns", "search_columns")

    def _drop_hidden_columns(self, extra=()):
        """Secrets never appear; automatic timestamps are never typed in a form."""
        for attr in self.COLUMN_LISTS + tuple(extra):
            hidden = HIDDEN_COLUMNS | (AUTOMATIC_COLUMNS if attr in ("add_columns", "edit_columns") else set())
            cols = getattr(self, attr, None)
            if cols:
                setattr(self, attr, [c for c in cols if c.split(".")[0] not in hidden])

    def _rel_query_filters(self):
        """Restrict every relationship picker to rows the user may reach."""
        filters = {}
        for rel in sa_inspect(self.datamodel.obj).relationships:
            scope = target_scope(rel.mapper.class_)
            if scope is not None:
                pk = rel.mapper.primary_key[0].key
                filters[rel.key] = [[pk, ScopeFilter, scope]]
        return filters

    def _check_write(self, item):
        user = g.user
        force_own_institution(item, user)
        check_staff_fields(item, user)
        check_related_scope(item, user)
        rule = WRITE_RULES.get(type(item))
        error = rule(item) if rule else None
        if error:
            raise Refused(error)


class PlatformListWidget(ListWidget):
    template = "platform/widgets/list.html"  # P1: the rows' buttons made once per page


class PlatformSearchWidget(SearchWidget):
    """P1: a view's filter labels, field markup and operation names are the same on every page in a language:
    made once (the remote pickers each time: one shows the active filter's row)."""
    _made = {}

    def __call__(self, **kwargs):
        form, columns = self.template_args["form"], self.template_args["include_cols"]
        key = (type(form), tuple(columns), str(get_locale()))
        if key not in self._made:
            names = self.filters.get_search_filters()
            self._made[key] = ({c: str(form[c].label.text) for c in columns},
                               {c: form[c]() for c in columns if not isinstance(form[c], pickers.RemoteSelectField)},
                               {c: [str(f.name) for f in names[c]] for c in columns})
        labels, fields, operations = self._made[key]
        fields = {c: fields[c] if c in fields else form[c]() for c in columns}
        kwargs.update(label_columns=labels, form_fields=fields, search_filters=operations,
                      active_filters=self.filters.get_filters_values_tojson())
        return RenderTemplateWidget.__call__(self, **kwargs)


class PlatformModelView(ScopedMixin, ModelView):
    page_size = 20
    list_template = "platform/list.html"
    list_widget = PlatformListWidget
    search_widget = PlatformSearchWidget
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_export"]

    def __init__(self, **kwargs):
        model = self.datamodel.obj
        self._scope_setup()
        enums = enum_columns(model)
        self.formatters_columns = {
            **{name: (lambda e: lambda v: enum_label(e, v))(enum) for name, enum in enums.items()},
            **(self.formatters_columns or {}),
        }
        extra = {name: enum_field(model, name, enum, self.label_columns.get(name, name))
                 for name, enum in enums.items()}
        self.add_form_extra_fields = {**extra, **(self.add_form_extra_fields or {})}
        self.edit_form_extra_fields = {**extra, **(self.edit_form_extra_fields or {})}
        pickers = self._rel_query_filters()
        self.add_form_query_rel_fields = {**pickers, **(self.add_form_query_rel_fields or {})}
        self.edit_form_query_rel_fields = {**pickers, **(self.edit_form_query_rel_fields or {})}
        self.search_form_query_rel_fields = {**pickers, **(self.search_form_query_rel_fields or {})}
        self.search_form_extra_fields = {**self._remote_pickers(), **(self.search_form_extra_fields or {})}
        if self.base_order is None:  # paging needs an order: the newest first (reference codes in order)
            pk = self.datamodel.get_pk_name()
            self.base_order = (pk, "desc" if isinstance(sa_inspect(model).columns[pk].type, Integer) else "asc")
        super().__init__(**kwargs)
        relationships = {rel.key for rel in sa_inspect(model).relationships if not rel.uselist}
        self.datamodel.eager = [c for c in self.list_columns if c in relationships]
        for column in set(self.list_columns) | set(self.show_columns):
            self.formatters_columns.setdefault(column, display_value)
        for form in (self.add_form, self.edit_form, self.search_form):
            blank_text_for_pickers(form)

    def _search_relationships(self):
        """name -> relationship of the many-to-one columns the list filters by."""
        mapper = sa_inspect(self.datamodel.obj)
        return {name: mapper.relationships[name] for name in (self.search_columns or ())
                if name in mapper.relationships and not mapper.relationships[name].uselist}

    def _remote_pickers(self):
        return {name: pickers.RemoteSelectField(self.label_columns.get(name, name), f"{type(self).__name__}.pick",
                                                name, rel.mapper.class_)
                for name, rel in self._search_relationships().items()}

    @expose("/pick/<column>")
    @has_access
    @permission_name("list")
    def pick(self, column):
        """P1: the rows a filter on ``column`` may pick (the user's scope), a page at a time, for remote_select.js."""
        rel = self._search_relationships().get(column)
        if rel is None:
            abort(404)
        model = rel.mapper.class_
        scope = target_scope(model)
        if scope is None and model.__tablename__ == "institution":
            scope = {INSTITUTION: "id"}  # an institution user picks its own institution only
        results, more = pickers.pick(model, scope, g.user, request.args.get("term", "").strip()[:40],
                                     page_number(request.args.get("page")))
        return jsonify(results=results, more=more)

    def _init_properties(self):
        super()._init_properties()  # FAB fills the column lists it was not given: filter them again
        self._drop_hidden_columns()

    # rows reached by id always go through the scope (FAB's action/action_post do not)
    def get_scoped(self, pk):
        item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
        if item is None:
            abort(404)
        return item

    @expose("/action/<string:name>/<pk>", methods=["POST"])
    def action(self, name, pk):
        return self._run_action(name, [pk])

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        return self._run_action(request.form.get("action", ""), request.form.getlist("rowid"))

    def _run_action(self, name, pks):
        action = self.actions.get(name)
        if action is None:
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name), self.class_permission_name):
            abort(403)
        # every action of ours takes a list of rows, whether it was run on one row or on several
        return action.func([self.get_scoped(pk) for pk in pks])

    def render_template(self, template, **kwargs):
        kwargs.setdefault("view_endpoint", self.endpoint)
        kwargs.setdefault("keyword_hint", self.keyword_hint if type(self).keyword_search is not None else None)
        kwargs.setdefault("can_export", self.appbuilder.sm.has_access("can_export", self.class_permission_name))
        return super().render_template(template, **kwargs)

    @expose("/export/")
    @has_access
    def export(self):
        """I4: the current list (same scope and search filters) as an Excel file, streamed; a list longer than
        EXPORT_SYNC_ROWS is exported by a background job whose page shows the progress and the download."""
        count = self._export_count()
        if count > current_app.config["EXPORT_SYNC_ROWS"]:
            from app import tasks
            from app.services import jobs

            job = jobs.start("list_export", g.user, tasks.export_list, self.class_permission_name,
                             request.args.to_dict(flat=False), g.user.id, total=min(count, EXPORT_JOB_MAX_ROWS))
            return self.render_template("platform/export_job.html", job=job, count=count)
        headers, rows = self.export_table(EXPORT_MAX_ROWS)
        return send_xlsx(f"{self.class_permission_name}.xlsx", headers, rows)

    def _export_filters(self):
        get_filter_args(self._filters)
        return self._filters.get_joined_filters(self._base_filters)

    def _export_count(self):
        count, _items = self.datamodel.query(self._export_filters(), page_size=1, page=0)
        return count

    def export_table(self, limit, progress=None):
        """(headers, rows): the rows a generator reading EXPORT_BATCH at a time in primary-key order (the
        request's filters and the user's scope), up to ``limit``; ``progress(done)`` after each batch."""
        joined = self._export_filters()
        columns = [c for c in self.list_columns if c not in HIDDEN_COLUMNS]
        headers = [str(self.label_columns.get(c, c)) for c in columns]
        pk = self.datamodel.get_pk_name()
        key = getattr(self.datamodel.obj, pk)

        def rows():
            done, last = 0, None  # keyset paging: each batch after the last key, no count, no offset
            while done < limit:
                query = self.datamodel.session.query(self.datamodel.obj)
                if last is not None:
                    query = query.filter(key > last)
                items = self.datamodel.apply_all(query, joined, order_column=pk, order_direction="asc",
                                                 page_size=min(EXPORT_BATCH, limit - done)).all()
                for item in items:
                    yield [self._export_value(item, c) for c in columns]
                done += len(items)
                if progress is not None:
                    progress(done)
                if len(items) < EXPORT_BATCH:
                    return
                last = getattr(items[-1], pk)

        return headers, rows()

    def _export_value(self, item, column):
        value = getattr(item, column, None)
        formatter = self.formatters_columns.get(column)
        if formatter is not None:
            value = formatter(value)
        return value

    def _get_list_widget(self, filters, order_column="", order_direction="", **kwargs):
        if order_column and order_column not in self.order_columns:
            order_column, order_direction = "", ""
        name = type(self).__name__
        g.list_page = (name, kwargs.get("page") or 0)  # for link_page: the keys of the page shown
        for mode in ("after", "before"):  # P1: keyset paging, from the next/previous links
            key = request.args.get(f"{mode}_{name}", "")
            if key.isascii() and key.isdigit() and len(key) < 10:
                g.list_keyset = (mode, int(key))
        return super()._get_list_widget(filters, order_column=order_column,
                                        order_direction=order_direction, **kwargs)

    def pre_add(self, item):
        self._guarded(item)

    def pre_update(self, item):
        self._guarded(item)

    def _guarded(self, item):
        try:
            self._check_write(item)
        except BadRequest as exc:
            db.session.rollback()  # nothing half-written from populate_obj
            raise ValueError(exc.description) from None


class PlatformApi(ScopedMixin, ModelRestApi):
    # JWT only: a browser session cookie would make these CSRF-exempt writes possible
    allow_browser_login = False
    max_page_size = 100

    def __init__(self):
        model = self.datamodel.obj
        self._scope_setup()
        integers = [c.key for c in sa_inspect(model).columns if isinstance(c.type, Integer) and not c.primary_key]
        self.validators_columns = {
            **{name: Range(min=-DB_INT_MAX - 1, max=DB_INT_MAX) for name in integers},
            **{name: OneOf([m.value for m in enum]) for name, enum in enum_columns(model).items()},
            **(self.validators_columns or {}),
        }
        self._drop_hidden_columns()
        pickers = self._rel_query_filters()
        self.add_query_rel_fields = {**pickers, **(self.add_query_rel_fields or {})}
        self.edit_query_rel_fields = {**pickers, **(self.edit_query_rel_fields or {})}
        super().__init__()
        self._drop_hidden_columns(("list_select_columns", "show_select_columns"))

    def pre_add(self, item):
        self._check_write(item)

    def pre_update(self, item):
        self._check_write(item)

    # database refusals (unique, foreign key, range) answer 422 in words, never SQL text or a 500
    def post_headless(self):
        return self._without_database_errors(super().post_headless)

    def put_headless(self, pk):
        return self._without_database_errors(lambda: super(PlatformApi, self).put_headless(pk))

    def delete_headless(self, pk):
        return self._without_database_errors(lambda: super(PlatformApi, self).delete_headless(pk))

    def _without_database_errors(self, call):
        try:
            response = call()
        except (SQLAlchemyError, OverflowError):
            response = None
        if response is None or (response.status_code == 422 and b"Database exception" in response.data):
            db.session.rollback()
            return self.response_422(message=_(
                "The record conflicts with existing data (a duplicate value, or rows that still refer to it)."))
        return response


def link_page(page, modelview_name):
    """FAB's page links, and on the next (previous) page's link the last (first) key of the page shown:
    that page is then read by keyset (``after_<View>=<key>``), as cheap at page 50,000 as at page 2."""
    args = request.args.to_dict()
    for mode in ("after", "before"):
        args.pop(f"{mode}_{modelview_name}", None)
    args[f"page_{modelview_name}"] = page
    shown, edges = g.get("list_page"), g.get("list_edges")
    if shown and edges and shown[0] == modelview_name and isinstance(edges[0], int):
        if page == shown[1] + 1:
            args[f"after_{modelview_name}"] = edges[1]
        elif page == shown[1] - 1 and page > 0:
            args[f"before_{modelview_name}"] = edges[0]
    return url_for(request.endpoint, **{**request.view_args, **args})


def model_view(model, *, list_columns, search_columns=None, show_columns=None, add_columns=None,
               edit_columns=None, scope=AUTO, base=PlatformModelView, **attrs):
    """Generate ``<Model>View``: the class name is the permission name."""
    body = dict(
        datamodel=EagerInterface(model),
        list_columns=list_columns,
        search_columns=search_columns or list_columns,
        scope=scope,
        **attrs,
    )
    for key, value in (("show_columns", show_columns), ("add_columns", add_columns), ("edit_columns", edit_columns)):
        if value is not None:
            body[key] = value
    return type(f"{model.__name__}View", (base,), body)


def model_api(model, *, list_columns, scope=AUTO, **attrs):
    """Generate ``<Model>Api`` under /api/v1/<resource>."""
    body = dict(
        datamodel=SQLAInterface(model),
        resource_name=model.__tablename__,
        list_columns=list_columns,
        show_columns=attrs.pop("show_columns", list_columns),  # nothing beyond what is declared
        search_columns=attrs.pop("search_columns", [c for c in list_columns if c not in HIDDEN_COLUMNS]),
        add_columns=attrs.pop("add_columns", [c for c in list_columns if c != "id"]),
        edit_columns=attrs.pop("edit_columns", [c for c in list_columns if c != "id"]),
        scope=scope,
        **attrs,
    )
    return type(f"{model.__name__}Api", (PlatformApi,), body)
