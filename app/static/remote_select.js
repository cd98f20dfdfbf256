/* P1: a list filter's picker (views/pickers.py) asks the server for the rows matching what is typed,
   a page at a time, instead of the page carrying every institution.  FAB's filter widget clones the field
   when a filter is added, so new pickers are set up after each "add filter" click. */
(function ($) {
  function setUp(element) {
    var $select = $(element);
    if ($select.data("select2")) { return; }
    $select.select2({
      theme: "bootstrap", allowClear: true, placeholder: "", width: "100%",
      ajax: {
        url: $select.data("endpoint"), dataType: "json", delay: 250,
        data: function (params) { return {term: params.term || "", page: params.page || 1}; },
        processResults: function (data) { return {results: data.results, pagination: {more: data.more}}; }
      }
    });
  }
  function setUpAll() { $("select.platform-remote-select").each(function () { setUp(this); }); }
  $(function () {
    setTimeout(setUpAll, 0);  // after FAB's filter widget has placed the active filters
    $(document).on("click", "a.filter", function () { setTimeout(setUpAll, 0); });
  });
})(jQuery);
