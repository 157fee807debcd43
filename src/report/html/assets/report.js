// exhunt HTML report: sorting and filtering of its tables. It reads only the page itself, makes no
// request, and never turns text into markup (textContent and attributes only).
'use strict';
(function () {
  var SEVERITY = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

  function rowsOf(table) {
    return Array.prototype.slice.call(table.tBodies[0] ? table.tBodies[0].rows : []);
  }

  function applyFilters(tableId) {
    var table = document.getElementById(tableId);
    if (!table) return;
    var input = document.querySelector('input.filter[data-table="' + tableId + '"]');
    var select = document.querySelector('select.severity-filter[data-table="' + tableId + '"]');
    var text = input ? input.value.trim().toLowerCase() : '';
    var min = select && select.value !== 'all' ? SEVERITY[select.value] : -1;
    var rows = rowsOf(table);
    var shown = 0;
    rows.forEach(function (row) {
      var ok = !text || row.textContent.toLowerCase().indexOf(text) >= 0;
      if (ok && min >= 0) ok = (SEVERITY[row.getAttribute('data-severity')] || 0) >= min;
      row.hidden = !ok;
      if (ok) shown++;
    });
    var count = document.querySelector('.filter-count[data-table="' + tableId + '"]');
    if (count) count.textContent = shown + ' of ' + rows.length + ' rows';
  }

  function sortBy(th) {
    var table = th.closest('table');
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute('aria-sort') !== 'ascending';
    Array.prototype.forEach.call(th.parentNode.children, function (other) {
      other.removeAttribute('aria-sort');
    });
    th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    var numeric = th.getAttribute('data-sort-type') === 'number';
    var keyed = rowsOf(table).map(function (row, i) {
      var cell = row.cells[index];
      var v = cell ? (cell.hasAttribute('data-sort-value') ? cell.getAttribute('data-sort-value') : cell.textContent.trim()) : '';
      return { row: row, key: numeric ? Number(v) || 0 : v.toLowerCase(), i: i };
    });
    keyed.sort(function (a, b) {
      var c = a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i;
      return ascending ? c : -c;
    });
    var body = table.tBodies[0];
    keyed.forEach(function (k) {
      body.appendChild(k.row);
    });
  }

  document.querySelectorAll('th[data-sort-key] button').forEach(function (button) {
    button.addEventListener('click', function () {
      sortBy(button.closest('th'));
    });
  });
  document.querySelectorAll('input.filter, select.severity-filter').forEach(function (control) {
    var id = control.getAttribute('data-table');
    control.addEventListener('input', function () {
      applyFilters(id);
    });
    control.addEventListener('change', function () {
      applyFilters(id);
    });
    applyFilters(id);
  });
  // A link to a finding opens its details.
  document.querySelectorAll('a.finding-link').forEach(function (a) {
    a.addEventListener('click', function () {
      var target = document.getElementById(a.getAttribute('href').slice(1));
      if (target && target.tagName === 'DETAILS') target.open = true;
    });
  });
})();
