"""The Accounting API's XML wire format, for clients that ask for it with `Accept: application/xml`.

The API speaks JSON and XML (reference §3: "the API also speaks XML and may default to it"; the REST features
page, developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features, makes Accept optional and names
application/json "for most API interactions"; the error-codes page,
developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes, prints the fault as
`<Fault type="..."><Error code="..." element="..."><Message>..</Message><Detail>..</Detail></Error></Fault>`
inside `<IntuitResponse>`; the captured 429 shows the root `<IntuitResponse time=".."
xmlns="http://schema.intuit.com/finance/v3">`).

One rule maps the JSON shape onto the XML one, as Intuit's schema (the same objects serialised either way) does:
- lower-case scalar properties are XML attributes (`domain`, `sparse`, `status` on an entity; `startPosition`,
  `maxResults`, `totalCount` on a QueryResponse; `bId`; `type` on a Fault; `code` and `element` on an Error);
- a reference (`{"value", "name"}` under a `...Ref` key) is `<XRef name="..">value</XRef>`;
- a list repeats its element; `true` / `false` are lower case; money keeps its digits.
Request bodies sent as `Content-Type: application/xml` are read back through the same rule (`from_xml`); elements
that are arrays in JSON (`Line`, `LinkedTxn`, ...) stay lists when the XML holds one.
What is vague: whether a request without Accept gets XML (the notes say "may"): the sandbox answers JSON unless
XML is asked for by name, and the 401's lower-case body stays JSON as captured.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

NAMESPACE = "http://schema.intuit.com/finance/v3"
MEDIA_TYPE = "application/xml"


def wants_xml(accept: str | None) -> bool:
    """XML only when the client names it and does not name JSON."""
    text = (accept or "").lower()
    return ("application/xml" in text or "text/xml" in text) and "application/json" not in text


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _is_reference(key: str, value: Mapping[str, Any]) -> bool:
    return key.endswith("Ref") and "value" in value and set(value) <= {"value", "name", "type"}


def _fill(element: ElementTree.Element, key: str, value: Any) -> None:
    if isinstance(value, Mapping):
        if _is_reference(key, value):
            element.text = _text(value["value"])
            for attribute in ("name", "type"):
                if value.get(attribute) is not None:
                    element.set(attribute, _text(value[attribute]))
            return
        for child_key, child in value.items():
            if child is None:
                continue
            if child_key[:1].islower() and not isinstance(child, Mapping | list):
                element.set(child_key, _text(child))
            else:
                _append(element, child_key, child)
        return
    element.text = _text(value)


def _append(parent: ElementTree.Element, key: str, value: Any) -> None:
    for item in value if isinstance(value, list) else [value]:
        if item is None:
            continue
        _fill(ElementTree.SubElement(parent, key), key, item)


def to_xml(payload: Mapping[str, Any], time_text: str) -> bytes:
    """`{"Customer": {...}}` (no `time`: it becomes the root's attribute) as an IntuitResponse document."""
    if "Header" in payload:  # a report has no envelope in JSON; in XML its root is <Report> (vague: no capture)
        root = ElementTree.Element("Report", {"xmlns": NAMESPACE})
        _fill(root, "Report", payload)
    else:
        root = ElementTree.Element("IntuitResponse", {"xmlns": NAMESPACE, "time": time_text})
        for key, value in payload.items():
            if key != "time":
                _append(root, key, value)
    body: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


LIST_ELEMENTS = frozenset({"Line", "LinkedTxn", "CustomField", "BatchItemRequest", "TaxLine", "NameValue"})
"""Elements that are arrays in the JSON shape even when the XML holds one of them."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _scalar(text: str) -> Any:
    return {"true": True, "false": False}.get(text, text)


def _value(element: ElementTree.Element) -> Any:
    children = list(element)
    name = _local(element.tag)
    if not children:
        text = (element.text or "").strip()
        if name.endswith("Ref"):
            ref: dict[str, Any] = {"value": text}
            ref.update({key: value for key, value in element.attrib.items() if key in ("name", "type")})
            return ref
        if element.attrib:
            return {key: _scalar(value) for key, value in element.attrib.items()}
        return _scalar(text)
    out: dict[str, Any] = {key: _scalar(value) for key, value in element.attrib.items()}
    for child in children:
        key, value = _local(child.tag), _value(child)
        if key in out or key in LIST_ELEMENTS:
            existing = out.get(key)
            out[key] = [*(existing if isinstance(existing, list) else [] if existing is None else [existing]), value]
        else:
            out[key] = value
    return out


def from_xml(text: str) -> Any:
    """A request body in XML (`<Customer xmlns=..>..</Customer>`, `<IntuitBatchRequest>..`) as the JSON shape:
    `{"Customer": {...}}` becomes the entity's own object, as a JSON request body is; values stay text (the
    rules parse numbers from strings) except `true` / `false`. Raises ValueError on malformed XML."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise ValueError(str(exc)) from None
    value = _value(root)
    return value if isinstance(value, dict) else {}
