"""The corpus of the differential template test (test_templates_differential.py): templates,
contexts and what is expected, rendered by Debian's Jinja2 and by ViperHTTP.

Each case is ``(id, templates, context, flags)``:

* ``templates``: the source of ``page.html``, or a dict of file name -> source (the root is
  ``page.html``);
* ``context``: a dict (None: the shared CONTEXT);
* ``flags``: space-separated words:
  - ``lenient``: rendered with lenient undefined values (Jinja's default ``Undefined``); the
    default is strict (``StrictUndefined``);
  - ``error``: Jinja raises; ViperHTTP must raise too;
  - ``outside``: outside the subset: ViperHTTP must refuse it at compile time
    (``TemplateSyntaxError``), whatever Jinja does;
  - ``outside-runtime``: outside the subset in a way only the values show (a method of a str,
    an int beyond 64 bits...): ViperHTTP must raise a ``TemplateRenderError``;
  otherwise both must render and the output must be identical.

This module runs on CPython and on MicroPython (the renderer side of the test imports it in the
interpreter under test): no f-strings, no annotations.  MicroPython's dicts do not keep their
order, so dicts whose order shows in the output are made with ``D(key, value, ...)``.
"""

import sys

_MICROPYTHON = sys.implementation.name == "micropython"

if _MICROPYTHON:
    from collections import OrderedDict

    def D(*kv):
        d = OrderedDict()
        for i in range(0, len(kv), 2):
            d[kv[i]] = kv[i + 1]
        return d

else:

    def D(*kv):
        return dict([(kv[i], kv[i + 1]) for i in range(0, len(kv), 2)])


class User:
    def __init__(self, name, age, admin=False, friends=None):
        self.name = name
        self.age = age
        self.admin = admin
        self.friends = friends or []
        self._secret = "hidden"

    def __str__(self):
        return "User(" + self.name + ")"

    def greet(self):
        return "hi"


class Empty:
    def __len__(self):
        return 0

    def __str__(self):
        return "Empty"


class Html:
    def __html__(self):
        return "<em>marked</em>"

    def __str__(self):
        return "<Html>"


def _code_point_chunks():
    # Every code point of the BMP but surrogates and U+03A3 (capital sigma, whose lower case
    # depends on its neighbours and is refused), and the astral blocks with case mappings
    # (Deseret, Medefaidrin, Adlam): the case filters' tables, checked against CPython's.
    chunks, cur = [], []
    for lo, hi in ((0x20, 0xD800), (0xE000, 0x10000), (0x10400, 0x10500), (0x16E40, 0x16EA0),
                   (0x1E900, 0x1E960)):
        for c in range(lo, hi):
            if c == 0x3A3:
                continue
            cur.append(chr(c))
            if len(cur) == 4096:
                chunks.append("".join(cur))
                cur = []
    chunks.append("".join(cur))
    return chunks


CODE_POINTS = {"chunks": _code_point_chunks()}

CONTEXT = {
    "name": "World",
    "n": 7,
    "zero": 0,
    "neg": -3,
    "pi": 3.14159,
    "half": 0.5,
    "big": 2 ** 62,
    "t": True,
    "f": False,
    "none": None,
    "empty": "",
    "xss": "<script>alert('x')</script>",
    "attr": '" onmouseover="alert(1)',
    "amp": "Tom & Jerry's <\"shop\">",
    "uni": "Zażółć gęślą jaźń",
    "greek": "οδυσσεύς",
    "items": [1, 2, 3, 4, 5],
    "words": ["apple", "Banana", "cherry"],
    "nested": [[1, 2], [3, 4]],
    "pairs": [("a", 1), ("b", 2)],
    "tup": (1, 2, 3),
    "person": D("name", "Ada", "age", 36, "tags", ["math", "code"]),
    "scores": D("alice", 90, "bob", 72, "carol", 85),
    "cfg": D("debug", False, "port", 8080, "hosts", ["a", "b"]),
    "users": [User("ann", 31, True), User("bob", 17), User("<cy>", 45)],
    "user": User("ann", 31, True, [User("bob", 17)]),
    "products": [
        D("name", "Lamp", "price", 19.99, "stock", 3),
        D("name", "Desk <oak>", "price", 149.0, "stock", 0),
        D("name", "Chair", "price", 49.5, "stock", 12),
    ],
    "sensors": D("temperature", 21.5, "humidity", 40, "light", 300),
    "raw_bytes": b"a'b\x00\xff",
    "html_obj": Html(),
    "empty_obj": Empty(),
    "int_keys": D(1, "one", 2, "two"),
    "ws": "  \t padded text \n ",
    "lines": "line one\nline two",
    "numbers": ["10", " 42 ", "0x1A", "3.7", "1e3", "abc", "-5", "1_000", "", "nan"],
    "nan": float("nan"),
    "inf": float("inf"),
    "markup_like": Html(),
}

CASES = [
    # --- text, comments, raw, whitespace control ---------------------------------------------
    ("text_plain", "Hello, world!", None, ""),
    ("text_trailing_newline", "one line\n", None, ""),
    ("text_two_trailing_newlines", "keep one\n\n", None, ""),
    ("text_crlf", "a\r\nb\rc\n", None, ""),
    ("text_braces", "a { b } {x} {{ '{' }} }}", None, ""),
    ("comment", "a{# a comment {{ x }} #}b", None, ""),
    ("comment_multiline", "a{#\n multi\n line\n#}b", None, ""),
    ("comment_strip", "a  {#- c -#}  b", None, ""),
    ("ws_var_strip", "a  \n {{- name -}} \n  b", None, ""),
    ("ws_block_strip", "<ul>\n  {%- for i in items %}\n  <li>{{ i }}</li>\n  {%- endfor %}\n</ul>",
     None, ""),
    ("ws_both", "x {%- if t -%} \n yes \n {%- endif -%} y", None, ""),
    ("ws_plus", "a {%+ if t +%} b {%+ endif +%} c", None, ""),
    ("ws_unicode_strip", "a\u3000\u00a0 {{- name }}", None, ""),
    ("raw", "{% raw %}{{ not rendered }} {% if %}{% endraw %}", None, ""),
    ("raw_strip", "a {%- raw -%}  {{ x }}  {%- endraw -%} b", None, ""),
    ("string_with_delims", "{{ '}}' }} {{ \"%}\" }} {{ '{#' }}", None, ""),
    ("dict_literal_braces", "{{ {'a': {'b': 1}} }}", None, ""),

    # --- literals -------------------------------------------------------------------------------
    ("lit_ints", "{{ 42 }} {{ 1_000_000 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 00 }}", None, ""),
    ("lit_floats", "{{ 1.5 }} {{ 1e3 }} {{ 2.5E-3 }} {{ 1_0.2_5 }} {{ 10.0 }} {{ 1e16 }} "
     "{{ 1e-5 }} {{ 123456789.123 }}", None, ""),
    ("lit_big_int", "{{ 123456789012345678901234567890 }}", None, ""),
    ("lit_strings", "{{ 'single' }} {{ \"double\" }} {{ 'it\\'s' }} {{ \"a\" 'b' \"c\" }}", None, ""),
    ("lit_escapes", "{{ 'tab\\there' }}|{{ 'nl\\nx' }}|{{ '\\x41\\u00e9\\101' }}|{{ '\\q' }}|"
     "{{ 'back\\\\slash' }}", None, ""),
    ("lit_escape_nonascii", "{{ '\\\u00e9' }}", None, ""),
    ("lit_unicode", "{{ 'żółw 🐢' }}", None, ""),
    ("lit_constants", "{{ true }} {{ True }} {{ false }} {{ False }} {{ none }} {{ None }}", None, ""),
    ("lit_list", "{{ [1, 'a', none, true, 1.5] }}", None, ""),
    ("lit_tuple", "{{ (1, 2) }} {{ (1,) }} {{ () }} {{ 1, 2 }}", None, ""),
    ("lit_dict", "{{ {'a': 1, 'b': [2, 3]} }} {{ {} }}", None, ""),
    ("lit_dict_dup", "{{ {'a': 1, 'b': 2, 'a': 3} }}", None, ""),
    ("lit_nested_repr", "{{ [['x', ('y', {'z': none})], \"q'uote\", 'd\"q', 'b\\\\s'] }}", None, ""),
    ("lit_trailing_commas", "{{ [1, 2,] }} {{ {'a': 1,} }} {{ (1, 2,) }}", None, ""),

    # --- output and escaping ------------------------------------------------------------------------
    ("esc_text", "<p>{{ xss }}</p>", None, ""),
    ("esc_attr", '<a title="{{ attr }}">x</a>', None, ""),
    ("esc_amp_quotes", "{{ amp }}", None, ""),
    ("esc_safe", "{{ xss|safe }}", None, ""),
    ("esc_escape_safe", "{{ xss|safe|e }}", None, ""),
    ("esc_double", "{{ amp|e|e }} {{ amp|escape }}", None, ""),
    ("esc_markup_plus_str", "{{ '<b>'|safe + '<i>' }} {{ '<i>' + '<b>'|safe }}", None, ""),
    ("esc_concat_runtime", "{{ xss|safe ~ amp }} {{ name ~ xss }}", None, ""),
    ("esc_concat_folded", "{{ '<b>'|safe ~ '<i>' }}", None, ""),
    ("esc_object_html", "{{ html_obj }} {{ html_obj|e }}", None, ""),
    ("esc_numbers", "{{ n }} {{ neg }} {{ pi }} {{ half }} {{ big }} {{ t }} {{ f }} {{ none }}",
     None, ""),
    ("esc_containers", "{{ words }} {{ person }} {{ tup }} {{ pairs }} {{ int_keys }}", None, ""),
    ("esc_safe_in_list", "{{ ['<b>'|safe, '<i>'] }}", None, ""),
    ("esc_bytes", "{{ raw_bytes }}", None, ""),
    ("esc_object_str", "{{ user }} {{ users[2] }}", None, ""),
    ("esc_unicode", "{{ uni }} {{ greek }}", None, ""),

    # --- arithmetic ------------------------------------------------------------------------------
    ("math_basic", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 10 - 4 - 3 }} {{ 2 * 3 + 4 }}", None, ""),
    ("math_div", "{{ 7 / 2 }} {{ 8 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} "
     "{{ 7 % -3 }}", None, ""),
    ("math_float_divmod", "{{ 7.5 // 2 }} {{ -7.5 // 2 }} {{ 7.5 % 2 }} {{ -7.5 % 2 }} "
     "{{ 7.5 % -2 }} {{ 0.1 + 0.2 }}", None, ""),
    ("math_pow", "{{ 2 ** 10 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }} {{ 2 ** -1 }} {{ 4 ** 0.5 }} "
     "{{ 0 ** 0 }}", None, ""),
    ("math_mixed", "{{ n + pi }} {{ n * half }} {{ t + 1 }} {{ n / 4 }} {{ big + 1 }}", None, ""),
    ("math_unary", "{{ -n }} {{ +n }} {{ -pi }} {{ - -n }} {{ -n|abs }}", None, ""),
    ("math_str_ops", "{{ 'ab' * 3 }} {{ 3 * 'x' }} {{ 'a' + 'b' }} {{ 'x' * 0 }}|{{ 'x' * -1 }}",
     None, ""),
    ("math_seq_ops", "{{ [1] + [2, 3] }} {{ (1,) + (2,) }} {{ [0] * 3 }} {{ tup * 2 }}", None, ""),
    ("math_div_zero", "{{ 1 / 0 }}", None, "error"),
    ("math_mod_zero", "{{ 1 % 0 }}", None, "error"),
    ("math_floordiv_zero_float", "{{ 1.5 // 0 }}", None, "error"),
    ("math_type_error", "{{ 'a' + 1 }}", None, "error"),
    ("math_list_minus", "{{ [1] - [1] }}", None, "error"),
    ("math_overflow", "{{ big * big }}", None, "outside-runtime"),
    ("math_str_format", "{{ '%s items' % n }}", None, "outside-runtime"),
    ("math_float_overflow", "{{ 10.0 ** 400 }}", None, "error"),

    # --- comparisons and logic ----------------------------------------------------------------------
    ("cmp_basic", "{{ 1 < 2 }} {{ 2 <= 2 }} {{ 3 > 4 }} {{ 4 >= 4 }} {{ 1 == 1.0 }} {{ 1 != 2 }}",
     None, ""),
    ("cmp_chain", "{{ 1 < 2 < 3 }} {{ 3 > 2 > 5 }} {{ 1 < n < 10 }} {{ 1 == 1 == 1 }}", None, ""),
    ("cmp_types", "{{ 'a' == 'a' }} {{ 1 == '1' }} {{ none == none }} {{ [1, 2] == [1, 2] }} "
     "{{ (1,) == [1] }} {{ t == 1 }} {{ person == person }}", None, ""),
    ("cmp_strings", "{{ 'apple' < 'banana' }} {{ 'B' < 'a' }} {{ 'é' > 'z' }} "
     "{{ [1, 2] < [1, 3] }} {{ (1, 'a') < (1, 'b') }}", None, ""),
    ("cmp_order_error", "{{ 1 < 'a' }}", None, "error"),
    ("cmp_in", "{{ 2 in items }} {{ 9 in items }} {{ 'ell' in 'hello' }} {{ 'name' in person }} "
     "{{ 'x' not in person }} {{ 3 in tup }} {{ 3 in range(5) }} {{ 'a' in 'abc' and 1 }}", None, ""),
    ("cmp_in_type_error", "{{ 1 in 'abc' }}", None, "error"),
    ("logic_values", "{{ 0 or 'x' }} {{ 'a' or 'b' }} {{ '' and 1 }} {{ 1 and 2 }} "
     "{{ none or [] or 'last' }} {{ not 0 }} {{ not items }}", None, ""),
    ("logic_precedence", "{{ not 1 == 2 }} {{ not t and f }} {{ t or f and f }} "
     "{{ 1 + 2 is odd }}", None, ""),
    ("logic_short_circuit", "{{ f and undefined_thing }} {{ t or undefined_thing }}", None, ""),

    # --- attributes and items -------------------------------------------------------------------------
    ("attr_dict", "{{ person.name }} {{ person['age'] }} {{ person.tags[1] }} {{ cfg.hosts.0 }}",
     None, ""),
    ("attr_object", "{{ user.name }} {{ user.age }} {{ user.admin }} {{ user.friends[0].name }}",
     None, ""),
    ("attr_object_item_syntax", "{{ user['name'] }}", None, ""),
    ("attr_index", "{{ items[0] }} {{ items[-1] }} {{ words.1 }} {{ nested[1][0] }} "
     "{{ 'hello'[1] }} {{ uni[2] }} {{ tup[-2] }}", None, ""),
    ("attr_int_keys", "{{ int_keys[1] }} {{ int_keys[2] }}", None, ""),
    ("attr_missing_strict", "{{ person.missing }}", None, "error"),
    ("attr_missing_lenient", "[{{ person.missing }}][{{ items[99] }}][{{ user.nothing }}]", None,
     "lenient"),
    ("attr_of_undefined", "{{ nothing.name }}", None, "lenient error"),
    ("attr_of_none", "[{{ none.name }}]", None, "lenient"),
    ("attr_index_missing_strict", "{{ items[10] }}", None, "error"),
    ("slice_list", "{{ items[1:3] }} {{ items[:2] }} {{ items[3:] }} {{ items[::2] }} "
     "{{ items[::-1] }} {{ items[-2:] }} {{ items[10:] }}", None, ""),
    ("slice_str", "{{ name[1:3] }} {{ name[::-1] }} {{ uni[2:6] }} {{ name[-3:] }} "
     "{{ ('<b>'|safe)[0:2] }}", None, ""),
    ("slice_tuple_range", "{{ tup[1:] }} {{ range(10)[2:8:2]|list }} {{ range(10)[::-3]|list }}",
     None, ""),
    ("slice_step_zero", "{{ items[::0] }}", None, "error"),
    ("attr_dict_method_name", "{{ person['items'] }}", D("person", D("items", "a key")), ""),
    ("attr_method_outside", "{{ name.upper }}", None, "outside-runtime"),
    ("attr_dict_method_outside", "{{ person.items }}", None, "outside-runtime"),
    ("attr_object_method_outside", "{{ user.greet }}", None, "outside-runtime"),
    ("attr_dict_methods", "{{ person.keys()|list }} {{ scores.values()|list }} "
     "{{ scores.items()|list }}", None, ""),
    ("attr_dunder_outside", "{{ user.__class__ }}", None, "outside"),

    # --- if ----------------------------------------------------------------------------------------
    ("if_basic", "{% if t %}yes{% endif %}{% if f %}no{% endif %}", None, ""),
    ("if_else", "{% if n > 10 %}big{% else %}small{% endif %}", None, ""),
    ("if_elif", "{% for v in [1, 5, 10] %}{% if v < 3 %}low{% elif v < 8 %}mid{% elif v < 9 %}"
     "x{% else %}high{% endif %} {% endfor %}", None, ""),
    ("if_truthiness", "{% for v in [0, 1, '', 'a', [], [0], none, {}, 0.0, empty_obj] %}"
     "{% if v %}T{% else %}F{% endif %}{% endfor %}", None, ""),
    ("if_nested", "{% if t %}{% if f %}a{% elif n %}b{% endif %}{% endif %}", None, ""),
    ("if_undefined_strict", "{% if nothing %}x{% endif %}", None, "error"),
    ("if_undefined_lenient", "{% if nothing %}x{% else %}none{% endif %}", None, "lenient"),
    ("if_tuple_condition", "{% if 0, 0 %}tuple is truthy{% endif %}", None, ""),

    # --- for -----------------------------------------------------------------------------------------
    ("for_list", "{% for i in items %}{{ i }},{% endfor %}", None, ""),
    ("for_loop_vars", "{% for w in words %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/"
     "{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }}/{{ loop.depth }}/"
     "{{ loop.depth0 }};{% endfor %}", None, ""),
    ("for_dict_keys", "{% for k in scores %}{{ k }} {% endfor %}", None, ""),
    ("for_items_unpack", "{% for k, v in scores.items() %}{{ k }}={{ v }};{% endfor %}", None, ""),
    ("for_items_filter", "{% for k, v in cfg|items %}{{ k }}:{{ v }} {% endfor %}", None, ""),
    ("for_items_tuple_var", "{% for kv in scores.items() %}{{ kv }} {{ kv[0] }}|{% endfor %}",
     None, ""),
    ("for_values", "{% for v in scores.values() %}{{ v }} {% endfor %}", None, ""),
    ("for_tuple_unpack", "{% for a, b in pairs %}{{ a }}{{ b }}{% endfor %} "
     "{% for (x, y) in nested %}{{ x + y }}{% endfor %}", None, ""),
    ("for_unpack_mismatch", "{% for a, b in items %}{{ a }}{% endfor %}", None, "error"),
    ("for_string", "{% for c in 'héllo' %}[{{ c }}]{% endfor %}", None, ""),
    ("for_range", "{% for i in range(3) %}{{ i }}{% endfor %}|{% for i in range(2, 9, 3) %}"
     "{{ i }}{% endfor %}|{% for i in range(5, 0, -2) %}{{ i }}{% endfor %}|"
     "{% for i in range(0) %}x{% endfor %}", None, ""),
    ("for_range_zero_step", "{% for i in range(1, 2, 0) %}{% endfor %}", None, "error"),
    ("for_else_empty", "{% for i in [] %}{{ i }}{% else %}empty{% endfor %}", None, ""),
    ("for_else_nonempty", "{% for i in [1] %}{{ i }}{% else %}empty{% endfor %}", None, ""),
    ("for_filter", "{% for i in items if i is odd %}{{ i }}:{{ loop.index }}/{{ loop.length }}"
     "{{ '' if loop.last else ',' }}{% endfor %}", None, ""),
    ("for_filter_else", "{% for i in items if i > 100 %}{{ i }}{% else %}none above{% endfor %}",
     None, ""),
    ("for_cycle", "{% for i in items %}{{ loop.cycle('odd', 'even') }} {% endfor %}", None, ""),
    ("for_prev_next", "{% for w in words %}{{ loop.previtem }}>{{ w }}>{{ loop.nextitem }}|"
     "{% endfor %}", None, "lenient"),
    ("for_prev_strict", "{% for w in words %}{{ loop.previtem }}{% endfor %}", None, "error"),
    ("for_nested_loop", "{% for row in nested %}{% set outer = loop %}{% for c in row %}"
     "{{ outer.index }}.{{ loop.index }}={{ c }} {% endfor %}{% endfor %}", None, ""),
    ("for_scope", "{% set x = 'outer' %}{% for i in items %}{% set x = i %}{% endfor %}{{ x }}",
     None, ""),
    ("for_scope_per_iteration", "{% for i in [1, 2] %}{% if i == 2 %}{{ x }}{% endif %}"
     "{% set x = i %}{% endfor %}", D("x", "ctx"), ""),
    ("for_var_leak", "{% for i in items %}{% endfor %}{{ i is defined }}", None, ""),
    ("for_undefined_strict", "{% for i in nothing %}{% endfor %}", None, "error"),
    ("for_undefined_lenient", "{% for i in nothing %}x{% else %}empty{% endfor %}", None, "lenient"),
    ("for_not_iterable", "{% for i in n %}{% endfor %}", None, "error"),
    ("for_products", "<table>{% for p in products %}<tr class=\"{{ loop.cycle('a', 'b') }}\">"
     "<td>{{ p.name }}</td><td>{{ '%.2f'|length }}{{ p.price }}</td><td>"
     "{% if p.stock %}{{ p.stock }} left{% else %}sold out{% endif %}</td></tr>{% endfor %}</table>",
     None, ""),
    ("for_objects", "{% for u in users %}{{ u.name }}({{ u.age }}){% if u.admin %}*{% endif %} "
     "{% endfor %}", None, ""),
    ("for_loop_outside", "{{ loop.index }}", None, "error"),
    ("for_recursive_outside", "{% for i in items recursive %}{% endfor %}", None, "outside"),
    ("for_changed_outside", "{% for i in items %}{{ loop.changed(i) }}{% endfor %}", None,
     "outside"),
    ("for_break_outside", "{% for i in items %}{% break %}{% endfor %}", None, "outside"),

    # --- set -------------------------------------------------------------------------------------------
    ("set_simple", "{% set x = 5 %}{% set y = x * 2 %}{{ x }} {{ y }}", None, ""),
    ("set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c, d = pairs[0] %}{{ c }}{{ d }}",
     None, ""),
    ("set_unpack_error", "{% set a, b = items %}", None, "error"),
    ("set_block", "{% set greeting %}Hello <b>{{ name }}</b> & {{ xss }}{% endset %}"
     "[{{ greeting }}] {{ greeting|length }}", None, ""),
    ("set_in_if_leaks", "{% if t %}{% set x = 'in if' %}{% endif %}{{ x }}", None, ""),
    ("set_shadows_context", "{{ name }} {% set name = 'local' %}{{ name }}", None, ""),
    ("set_namespace_outside", "{% set ns.x = 1 %}", None, "outside"),
    ("set_filter_block_outside", "{% set x | upper %}a{% endset %}", None, "outside"),

    # --- include ------------------------------------------------------------------------------------------
    ("include_basic", {"page.html": "[{% include 'part.html' %}]", "part.html": "part {{ name }}"},
     None, ""),
    ("include_sees_loop_targets", {"page.html": "{% for i in items %}{% include 'row.html' %}"
                                                "{% endfor %}",
                                   "row.html": "<{{ i }}:{{ loop is defined }}>"}, None, ""),
    ("include_sets_dont_leak", {"page.html": "{% set x = 1 %}{% include 'p.html' %}{{ x }}",
                                "p.html": "{{ x }}{% set x = 2 %}{{ x }}"}, None, ""),
    ("include_sees_sets", {"page.html": "{% set x = 'set above' %}{% include 'p.html' %}",
                           "p.html": "{{ x }}"}, None, ""),
    ("include_without_context", {"page.html": "{% set x = 1 %}{% include 'p.html' without context %}",
                                 "p.html": "{{ x is defined }} {{ name is defined }}"}, None, ""),
    ("include_with_context", {"page.html": "{% set x = 1 %}{% include 'p.html' with context %}",
                              "p.html": "{{ x }}"}, None, ""),
    ("include_ignore_missing", "a{% include 'missing.html' ignore missing %}b", None, ""),
    ("include_missing", "a{% include 'missing.html' %}b", None, "error"),
    ("include_nested", {"page.html": "1{% include 'a.html' %}", "a.html": "2{% include 'b.html' %}",
                        "b.html": "3{{ name }}"}, None, ""),
    ("include_subdir", {"page.html": "{% include 'parts/footer.html' %}",
                        "parts/footer.html": "footer {{ n }}"}, None, ""),
    ("include_twice", {"page.html": "{% include 'p.html' %}{% include 'p.html' %}",
                       "p.html": "x"}, None, ""),
    ("include_dynamic_outside", {"page.html": "{% include name %}", "World": "w"}, None, "outside"),
    ("include_traversal_outside", "{% include '../secret.html' %}", None, "outside"),
    ("include_absolute_outside", "{% include '/etc/passwd' %}", None, "outside"),
    ("include_list_outside", "{% include ['a.html', 'b.html'] %}", None, "outside"),

    # --- extends and blocks -----------------------------------------------------------------------------
    ("extends_basic", {"page.html": "{% extends 'base.html' %}{% block body %}child {{ name }}"
                                    "{% endblock %}",
                       "base.html": "<html>{% block body %}default{% endblock %}</html>"}, None, ""),
    ("extends_default_block", {"page.html": "{% extends 'base.html' %}",
                               "base.html": "[{% block a %}A{% endblock %}]"}, None, ""),
    ("extends_super", {"page.html": "{% extends 'base.html' %}{% block a %}({{ super() }}){% endblock %}",
                       "base.html": "[{% block a %}A{% endblock %}]"}, None, ""),
    ("extends_three_levels", {
        "page.html": "{% extends 'mid.html' %}{% block a %}C{{ super() }}{% endblock %}",
        "mid.html": "{% extends 'base.html' %}{% block a %}M{{ super() }}{% endblock %}"
                    "{% block b %}mb{% endblock %}",
        "base.html": "{% block a %}B{% endblock %}|{% block b %}bb{% endblock %}"}, None, ""),
    ("extends_text_before", {"page.html": "before {% extends 'base.html' %}after",
                             "base.html": "base"}, None, ""),
    ("extends_output_after_ignored", {"page.html": "{% extends 'base.html' %}{{ nothing.at.all }}"
                                                   "text",
                                      "base.html": "base"}, None, ""),
    ("extends_set_in_child", {"page.html": "{% extends 'base.html' %}{% set z = 'from child' %}",
                              "base.html": "{% block a %}{{ z }}{% endblock %}"}, None, ""),
    ("extends_set_in_parent", {"page.html": "{% extends 'base.html' %}{% set y = 9 %}"
                                            "{% block a %}{{ y }}{% endblock %}",
                               "base.html": "{% set y = 5 %}{% block a %}{% endblock %}"
                                            "{% set y = 6 %}{% block b %}{{ y }}{% endblock %}"},
     None, ""),
    ("extends_nested_blocks", {
        "page.html": "{% extends 'base.html' %}{% block inner %}IN{% endblock %}",
        "base.html": "{% block outer %}<{% block inner %}in{% endblock %}>{% endblock %}"},
     None, ""),
    ("extends_block_scope", {
        "page.html": "{% extends 'base.html' %}{% block c %}{{ q is defined }}{% endblock %}",
        "base.html": "{% block b %}{% set q = 1 %}{% block c %}{% endblock %}{% endblock %}"},
     None, ""),
    ("extends_scoped_block", "{% set q = 1 %}{% block c scoped %}{{ q }}{% endblock %}", None, ""),
    ("extends_block_sees_context", "{% block b %}{{ name }}{% endblock %}", None, ""),
    ("extends_with_include", {
        "page.html": "{% extends 'base.html' %}{% block a %}{% include 'p.html' %}{% endblock %}",
        "base.html": "<{% block a %}{% endblock %}>", "p.html": "part"}, None, ""),
    ("extends_block_self_repeat", "{% block a %}x{% endblock %}", None, ""),
    ("extends_duplicate_block", "{% block a %}{% endblock %}{% block a %}{% endblock %}", None,
     "error"),
    ("extends_twice", {"page.html": "{% extends 'b.html' %}{% extends 'b.html' %}", "b.html": "b"},
     None, "outside"),
    ("extends_missing", "{% extends 'nope.html' %}", None, "error"),
    ("extends_endblock_name", "{% block a %}x{% endblock a %}", None, ""),
    ("extends_endblock_mismatch", "{% block a %}x{% endblock b %}", None, "error"),
    ("extends_in_if_outside", {"page.html": "{% if t %}{% extends 'b.html' %}{% endif %}",
                               "b.html": "b"}, None, "outside"),
    ("extends_dynamic_outside", {"page.html": "{% extends name %}", "World": "w"}, None, "outside"),
    ("extends_block_in_loop_outside", "{% for i in items %}{% block a %}{% endblock %}{% endfor %}",
     None, "outside"),

    # --- filters -------------------------------------------------------------------------------------
    ("f_abs", "{{ -5|abs }} {{ 2.5|abs }} {{ -0.0|abs }} {{ neg|abs }}", None, ""),
    ("f_capitalize", "{{ 'hELLO wORLD'|capitalize }} {{ uni|capitalize }} {{ 'ßtraße'|capitalize }} "
     "{{ '<b>x</b>'|safe|capitalize }}", None, ""),
    ("f_default", "{{ nothing|default('dflt') }} {{ nothing|d }}|{{ ''|default('e', true) }} "
     "{{ 0|default('z', boolean=true) }} {{ name|default('x') }} {{ none|default('n') }}", None, ""),
    ("f_default_chain_undefined", "{{ nothing.x|default('d') }}", None, "error"),
    ("f_escape", "{{ xss|escape }} {{ 5|e }} {{ none|e }}", None, ""),
    ("f_first_last", "{{ items|first }} {{ items|last }} {{ 'abc'|first }} {{ 'abc'|last }} "
     "{{ scores|first }} {{ scores|last }} {{ range(4)|last }}", None, ""),
    ("f_first_empty", "[{{ []|first }}]", None, "lenient"),
    ("f_float", "{% for s in numbers %}{{ s|float }} {% endfor %}|{{ 3|float }} {{ t|float }} "
     "{{ none|float }} {{ 'x'|float(1.5) }} {{ 'Infinity'|float }} {{ '-inf'|float }}", None, ""),
    ("f_int", "{% for s in numbers %}{{ s|int }} {% endfor %}|{{ 3.9|int }} {{ -3.9|int }} "
     "{{ t|int }} {{ none|int }} {{ 'x'|int(7) }} {{ '1A'|int(base=16) }} {{ '0b101'|int(0, 2) }} "
     "{{ '99999999999999999999'|int }} {{ 1e20|int }}", None, ""),
    ("f_int_inf", "{{ 'inf'|int }}", None, "error"),
    ("f_items", "{{ person|items|list }} {{ nothing|items|list }}", None, ""),
    ("f_items_not_mapping", "{{ items|items|list }}", None, "error"),
    ("f_join", "{{ items|join }} {{ items|join(', ') }} {{ words|join(d=' | ') }} "
     "{{ 'abc'|join('-') }} {{ scores|join(',') }}", None, ""),
    ("f_join_attribute", "{{ users|join(', ', attribute='name') }} "
     "{{ products|join('; ', attribute='price') }} {{ nested|join(',', attribute=1) }}", None, ""),
    ("f_join_escaping", "{{ ['<a>', '<b>'|safe]|join('&') }} {{ ['<a>']|join('&'|safe) }} "
     "{{ ['<a>', '&']|join('<br>') }}", None, ""),
    ("f_length", "{{ items|length }} {{ uni|length }} {{ person|count }} {{ ''|length }} "
     "{{ range(7)|length }} {{ tup|count }}", None, ""),
    ("f_length_error", "{{ n|length }}", None, "error"),
    ("f_list", "{{ 'ab'|list }} {{ tup|list }} {{ person|list }} {{ range(3)|list }}", None, ""),
    ("f_lower_upper", "{{ name|lower }} {{ name|upper }} {{ uni|upper }} {{ greek|upper }} "
     "{{ 'ΣΑΣ'|upper }} {{ 'straße ŉ'|upper }} {{ 'İstanbul'|lower }} "
     "{{ '<b>Hi</b>'|safe|upper }}", None, ""),
    ("f_lower_sigma", "{{ 'ΟΔΟΣ'|lower }}", None, "outside-runtime"),
    ("f_upper_every_code_point", "{% for c in chunks %}{{ c|upper }}{% endfor %}", CODE_POINTS, ""),
    ("f_lower_every_code_point", "{% for c in chunks %}{{ c|lower }}{% endfor %}", CODE_POINTS, ""),
    ("f_title_every_code_point", "{% for c in chunks %}{{ c|title }}{% endfor %}", CODE_POINTS, ""),
    ("f_capitalize_every_code_point", "{% for c in chunks %}{% for ch in c %}{{ ch|capitalize }}"
     "{% endfor %}{% endfor %}", CODE_POINTS, ""),
    ("f_length_every_code_point", "{% for c in chunks %}{{ c|length }},{% endfor %}", CODE_POINTS,
     ""),
    ("f_replace", "{{ 'hello world'|replace('o', '0') }} {{ 'aaaa'|replace('a', 'b', 2) }} "
     "{{ 'ab'|replace('', '-') }} {{ 'ab'|replace('', '-', 2) }} {{ 'x'|replace('y', 'z') }} "
     "{{ 'a1'|replace(1, 2) }}", None, ""),
    ("f_replace_markup", "{{ '<a>'|replace('a', '<b>'|safe) }} {{ '<a>'|safe|replace('a', '<b>') }} "
     "{{ 'x&y'|replace('&'|safe, '+') }}", None, ""),
    ("f_round", "{{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 1.2345|round(2, 'floor') }} "
     "{{ 1.2345|round(2, 'ceil') }} {{ 7|round }} {{ 7|round(1, 'floor') }} {{ -2.5|round }} "
     "{{ 1234.5678|round(1) }} {{ 0.5|round(0, 'ceil') }}", None, ""),
    ("f_round_method_error", "{{ 1.5|round(0, 'up') }}", None, "error"),
    ("f_safe_string", "{{ 5|safe }} {{ none|safe }} {{ items|safe }} {{ n|string }} "
     "{{ xss|string }} {{ items|string|length }}", None, ""),
    ("f_title", "{{ 'hello world'|title }} {{ 'o\\'neil mc-donald (jr) [x] <y> {z}'|title }} "
     "{{ 'ÉCOLE été'|title }} {{ '<b>x</b>'|safe|title }} {{ 'a\\tb\\nc'|title }}", None, ""),
    ("f_tojson", "{{ person|tojson }} {{ [1, 2.5, none, true, 'x']|tojson }} {{ xss|tojson }} "
     "{{ uni|tojson }} {{ 'emoji 🐍'|tojson }} {{ {'b': 1, 'a': 2}|tojson }} {{ int_keys|tojson }} "
     "{{ tup|tojson }} {{ 'tab\\tnl\\n\\x01'|tojson }}", None, ""),
    ("f_tojson_indent", "{{ person|tojson(indent=2) }} {{ [[]]|tojson(1) }} {{ {}|tojson(2) }}",
     None, ""),
    ("f_tojson_attribute", '<div data-x="{{ person|tojson }}" data-y=\'{{ amp|tojson }}\'></div>',
     None, ""),
    ("f_tojson_mixed_keys", "{{ {1: 'a', 'b': 2}|tojson }}", None, "error"),
    ("f_tojson_object", "{{ user|tojson }}", None, "error"),
    ("f_trim", "[{{ ws|trim }}] [{{ '--x--'|trim('-') }}] [{{ 'xyhixy'|trim('xy') }}] "
     "[{{ '\u3000wide\u00a0'|trim }}]", None, ""),
    ("f_chain", "{{ words|join(' ')|upper|replace('A', '4')|trim|length }} "
     "{{ name|lower|capitalize|escape }}", None, ""),
    ("f_unknown_outside", "{{ items|sort }}", None, "outside"),
    ("f_urlencode_outside", "{{ name|urlencode }}", None, "outside"),
    ("f_bad_kwarg", "{{ name|default(foo=1) }}", None, "error"),
    ("f_replace_missing_arg", "{{ name|replace('a') }}", None, "error"),

    # --- tests ---------------------------------------------------------------------------------------
    ("t_defined", "{{ name is defined }} {{ nothing is defined }} {{ nothing is undefined }} "
     "{{ person.name is defined }} {{ person.nope is defined }} {{ person.nope is not defined }}",
     None, ""),
    ("t_types", "{% for v in [none, t, 1, 1.5, 'x', [1], person, (1,), range(2)] %}"
     "{{ v is none }}{{ v is boolean }}{{ v is integer }}{{ v is float }}{{ v is number }}"
     "{{ v is string }}{{ v is mapping }}{{ v is sequence }}{{ v is iterable }};{% endfor %}",
     None, ""),
    ("t_true_false", "{{ t is true }} {{ 1 is true }} {{ f is false }} {{ 0 is false }}", None, ""),
    ("t_numbers", "{{ 4 is even }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} "
     "{{ 9 is divisibleby(4) }} {{ 3.0 is odd }} {{ -3 is odd }}", None, ""),
    ("t_compare", "{{ 3 is eq 3 }} {{ 3 is equalto(4) }} {{ 3 is ne 4 }} {{ 2 is lt 3 }} "
     "{{ 2 is lessthan 1 }} {{ 3 is le 3 }} {{ 4 is gt 3 }} {{ 4 is greaterthan 5 }} "
     "{{ 4 is ge 5 }} {{ 2 is in items }} {{ 'z' is in 'abc' }}", None, ""),
    ("t_case", "{{ 'abc' is lower }} {{ 'aBc' is lower }} {{ 'ABC' is upper }} {{ '123' is upper }} "
     "{{ 'a1' is lower }}", None, ""),
    ("t_escaped", "{{ xss is escaped }} {{ xss|e is escaped }} {{ html_obj is escaped }}", None, ""),
    ("t_undefined_types", "{{ nothing is none }} {{ nothing is string }} {{ nothing is number }}",
     None, ""),
    ("t_in_filter_position", "{{ items|length is even }}", None, ""),
    ("t_unknown_outside", "{{ n is prime }}", None, "outside"),
    ("t_sameas_outside", "{{ n is sameas n }}", None, "outside"),
    ("t_odd_string", "{{ 'a' is odd }}", None, "error"),

    # --- inline if -----------------------------------------------------------------------------------
    ("ifexpr_basic", "{{ 'yes' if t else 'no' }} {{ 'yes' if f else 'no' }}", None, ""),
    ("ifexpr_no_else", "[{{ 'yes' if f }}]", None, ""),
    ("ifexpr_chain", "{% for v in [1, 5, 9] %}{{ 'a' if v < 3 else 'b' if v < 7 else 'c' }}"
     "{% endfor %}", None, ""),
    ("ifexpr_lazy", "{{ nothing.x if f else 'safe' }} {{ 'safe' if t else nothing.x }}", None, ""),
    ("ifexpr_in_filter_arg", "{{ name|default('a' if t else 'b') }} {{ (1 if t else 2) + 1 }}",
     None, ""),
    ("ifexpr_class_attr", '<li class="{{ "active" if n == 7 }}">', None, ""),

    # --- undefined, lenient mode ------------------------------------------------------------------
    ("undef_strict_print", "{{ nothing }}", None, "error"),
    ("undef_lenient_print", "[{{ nothing }}]", None, "lenient"),
    ("undef_lenient_ops", "[{{ nothing|upper }}][{{ nothing|length }}][{{ nothing ~ 'x' }}]"
     "[{{ nothing == 1 }}][{{ nothing|join }}][{{ nothing|e }}][{{ nothing|string }}]", None,
     "lenient"),
    ("undef_lenient_arith", "{{ nothing + 1 }}", None, "lenient error"),
    ("undef_lenient_iterate", "{% for x in nothing %}x{% endfor %}[{{ nothing|list }}]", None,
     "lenient"),
    ("undef_lenient_int", "{{ nothing|int }}", None, "lenient error"),
    ("undef_lenient_float", "{{ nothing|float }}", None, "lenient error"),
    ("undef_strict_int", "{{ nothing|int }}", None, "error"),
    ("undef_lenient_default", "{{ nothing|default(3) }} {{ nothing|default(3)|int }}", None,
     "lenient"),
    ("undef_strict_filters", "{{ nothing|upper }}", None, "error"),
    ("undef_strict_compare", "{{ nothing == 1 }}", None, "error"),
    ("undef_strict_test_ok", "{{ nothing is defined }} {{ nothing|default('ok') }}", None, ""),

    # --- outside the subset (compile errors) --------------------------------------------------------
    ("out_macro", "{% macro m() %}x{% endmacro %}", None, "outside"),
    ("out_call_block", "{% call m() %}x{% endcall %}", None, "outside"),
    ("out_filter_block", "{% filter upper %}x{% endfilter %}", None, "outside"),
    ("out_with", "{% with a = 1 %}{{ a }}{% endwith %}", None, "outside"),
    ("out_import", "{% import 'x.html' as x %}", None, "outside"),
    ("out_from_import", "{% from 'x.html' import y %}", None, "outside"),
    ("out_autoescape", "{% autoescape false %}x{% endautoescape %}", None, "outside"),
    ("out_function_call", "{{ lipsum() }}", None, "outside"),
    ("out_url_for", "{{ url_for('static', path='/a.css') }}", None, "outside"),
    ("out_method_call", "{{ name.upper() }}", None, "outside"),
    ("out_object_method_call", "{{ user.greet() }}", None, "outside"),
    ("out_namespace", "{% set ns = namespace(x=1) %}", None, "outside"),
    ("out_dict_call", "{{ dict(a=1) }}", None, "outside"),
    ("out_star_args", "{{ range(*items) }}", None, "outside"),
    ("out_named_escape", "{{ '\\N{BULLET}' }}", None, "outside"),
    ("out_super_in_expr", "{% block a %}{{ super()|upper }}{% endblock %}", None, "outside"),
    ("out_self", "{% block a %}{% endblock %}{{ self.a() }}", None, "outside"),
    ("out_required_block", "{% block a required %}{% endblock %}", None, "outside"),
    ("out_do", "{% do items.append(1) %}", None, "outside"),
    ("out_multi_subscript", "{{ nested[0, 1] }}", None, "outside"),

    # --- more semantics ------------------------------------------------------------------------------
    ("more_markup_concat_numbers", "{{ xss|safe ~ n }}|{{ n ~ xss|safe }}|{{ '<b>'|safe ~ 1 }}", None,
     ""),
    ("more_markup_equality", "{{ 'a'|safe == 'a' }} {{ '<'|e == '&lt;' }} {{ '<'|e|length }}", None,
     ""),
    ("more_self_reference_set", "{% set x = 'a' %}{% set x = x ~ 'b' %}{% set x = x * 2 %}{{ x }}",
     None, ""),
    ("more_none_filters", "{{ none|string }} {{ none|lower }} {{ none|upper }}", None, ""),
    ("more_none_length", "{{ none|length }}", None, "error"),
    ("more_tuple_join", "{{ (1, 2)|join('-') }} {{ tup|join }} {{ pairs|join(';') }}", None, ""),
    ("more_int_round", "{{ 3.0|int }} {{ -0.5|round }} {{ 0.5|round }} {{ 1.5|round }} "
     "{{ -1.5|round }} {{ 1e100|int }}", None, ""),
    ("more_pow_overflow", "{{ 10 ** 19 }}", None, "outside-runtime"),
    ("more_slices_out_of_range", "{{ 'abc'[-10:10] }} {{ items[-100:2] }} {{ 'abc'[5:] }}|"
     "{{ items[3:1] }}", None, ""),
    ("more_repeat_concat", "{{ 'abc' * 2 ~ '!' }} {{ ('<' * 3)|length }}", None, ""),
    ("more_cross_type_eq", "{{ [1, 2] == (1, 2) }} {{ {'a': 1} == {'a': 1.0} }} {{ 1 == 1.0 == t }} "
     "{{ 'a' != none }}", None, ""),
    ("more_float_repr", "{{ 0.1 + 0.7 }} {{ 1 / 3 }} {{ 2 ** 0.5 }} {{ 5 // 0.5 }} {{ -7 // 2.0 }} "
     "{{ 1e22 }} {{ 1e-7 }} {{ 123456789.0 * 1000 }} {{ 1.0e16 }} {{ 9999999999999998.0 }}",
     None, ""),
    ("more_mixed_compare", "{{ 1 < 2.5 }} {{ big > 1.0 }} {{ big + 0.0 == big }} {{ 0.1 < 1 }}",
     None, ""),
    ("more_nan_inf", "{{ nan }} {{ inf }} {{ -inf }} {{ nan == nan }} {{ nan < 1 }} {{ inf > big }} "
     "{{ [nan, inf]|tojson }}", None, ""),
    ("more_unicode_length", "{{ 'é'|upper|length }} {{ 'ß'|upper|length }} {{ uni|upper|length }}",
     None, ""),
    ("more_dict_membership", "{% if 'alice' in scores %}yes{% endif %}{% if 'eve' not in scores %}"
     " no{% endif %} {{ 1 in int_keys }} {{ 3 in int_keys }}", None, ""),
    ("more_lenient_compare_none", "{{ missing == none }} {{ missing is none }} {{ missing != 1 }}",
     None, "lenient"),
    ("more_lenient_chain_default", "{{ missing.x|default('d') }}", None, "lenient error"),
    ("more_tojson_misc", "{{ [none, true, 1.0, 'x y']|tojson }} {{ ''|tojson }} "
     "{{ {'k': {'n': []}}|tojson }}", None, ""),
    ("more_extends_whitespace_before", {"page.html": "{# c #}\n  {% extends 'b.html' %}",
                                        "b.html": "[{% block a %}B{% endblock %}]"}, None, ""),
    ("more_include_in_child_block", {
        "page.html": "{% extends 'b.html' %}{% block a %}<{% include 'p.html' %}>{% endblock %}",
        "b.html": "[{% block a %}{% endblock %}]", "p.html": "{{ name }}"}, None, ""),
    ("more_super_twice", {"page.html": "{% extends 'b.html' %}{% block a %}{{ super() }}|{{ super() }}"
                                       "{% endblock %}",
                          "b.html": "{% block a %}B{{ n }}{% endblock %}"}, None, ""),
    ("more_scoped_block_in_child", {
        "page.html": "{% extends 'b.html' %}{% block a %}{{ v is defined }}{% endblock %}",
        "b.html": "{% set v = 1 %}{% block a scoped %}{% endblock %}"}, None, ""),
    ("more_raw_fake_end", "{% raw %}{% endraw x %}{{ y }}{% endraw %}", None, ""),
    ("more_for_over_tuple_expr", "{% for x in 'ab', 'cd' %}[{{ x }}]{% endfor %}"
     "{% for a, b in 'ab', 'cd' %}{{ b }}{{ a }}{% endfor %}", None, ""),
    ("more_nested_loop_lengths", "{% for r in nested %}{{ loop.length }}:{% for c in r + [0] %}"
     "{{ loop.length }}{% endfor %};{% endfor %}", None, ""),
    ("more_crlf_strip", "a\r\n{%- if t -%}\r\n  b\r\n{%- endif -%}\r\nc", None, ""),
    ("more_empty_outputs", "[{{ '' }}][{{ ''|upper }}][{{ []|join }}][{{ {}|length }}]", None, ""),
    ("more_if_empty_string_expr", "{{ 1 if '' else 2 }} {{ 1 if ' ' else 2 }} {{ 1 if [[]] else 2 }}",
     None, ""),
    ("more_filter_arg_expressions", "{{ name|replace('o', n|string) }} {{ items|join(sep) }} "
     "{{ (name ~ '!')|upper }}", D("name", "foo", "n", 0, "items", [1, 2], "sep", "<&>"), ""),
    ("more_default_boolean_positional", "{{ 0|default(5, true) }} {{ ''|d('x', false) }}|"
     "{{ none|default('n', true) }} {{ []|default('empty', true) }}", None, ""),
    ("more_object_truthiness", "{{ 'y' if empty_obj else 'n' }} {{ 'y' if user else 'n' }} "
     "{{ empty_obj }}", None, ""),
    ("more_html_object", "{{ markup_like }} {{ markup_like|e }} {{ markup_like|safe }} "
     "{{ markup_like is escaped }} {{ [markup_like, '<i>']|join }} {{ markup_like|string }} "
     "{{ markup_like ~ '<x>' }} {{ markup_like|upper }} {{ 'y' if markup_like }}", None, ""),
    ("more_html_object_length", "{{ markup_like|length }}", None, "error"),
    ("more_bytes_ops", "{{ raw_bytes|length }} {{ raw_bytes[0] }} {{ raw_bytes[1:3] }} "
     "{{ 97 in raw_bytes }}", None, ""),
    ("more_range_ops", "{{ range(10)|length }} {{ range(1, 10, 3)|list }} {{ range(5)[-1] }} "
     "{{ 4 in range(0, 10, 2) }} {{ 5 in range(0, 10, 2) }} {{ range(3) == range(0, 3) }} "
     "{{ range(0, 10, 3).stop }}", None, ""),
    ("more_items_iterator_length", "{{ person|items|length }}", None, "error"),
    ("more_attribute_int_on_list", "{{ nested.1.0 }} {{ words.0|upper }}", None, ""),
    ("more_unpack_set_string", "{% set a, b = 'xy' %}{{ b }}{{ a }}", None, ""),
    ("more_markup_join_attr", "{{ [html_obj, '<i>']|join }}", None, ""),

    # --- syntax errors (both refuse) ------------------------------------------------------------------
    ("syn_unclosed_var", "{{ name ", None, "error"),
    ("syn_unclosed_block", "{% if t %}x", None, "error"),
    ("syn_unknown_tag", "{% frobnicate %}", None, "error"),
    ("syn_stray_endif", "{% endif %}", None, "error"),
    ("syn_bad_expression", "{{ 1 + }}", None, "error"),
    ("syn_unbalanced", "{{ (1 + 2 }}", None, "error"),
    ("syn_bad_char", "{{ @ }}", None, "error"),
    ("syn_unclosed_comment", "{# never closed", None, "error"),
    ("syn_unclosed_raw", "{% raw %}never closed", None, "error"),
    ("syn_unclosed_string", "{{ 'abc }}", None, "error"),
    ("syn_else_after_else", "{% if t %}{% else %}{% else %}{% endif %}", None, "error"),
    ("syn_empty_expression", "{{ }}", None, "error"),
    ("syn_bad_escape", "{{ '\\x4' }}", None, "error"),
    ("syn_for_no_in", "{% for x items %}{% endfor %}", None, "error"),
    ("syn_chained_is", "{{ n is odd is odd }}", None, "error"),
]
