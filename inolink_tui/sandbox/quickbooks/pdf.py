"""`GET /v3/company/<realm>/<form>/<Id>/pdf`: a sales form as a PDF file.

Source: the "Get an invoice as PDF" operation of the Invoice reference
(developer.intuit.com/app/developer/qbo/docs/api/accounting/most-commonly-used/invoice), and the same operation
on the Estimate, SalesReceipt, CreditMemo and RefundReceipt pages: `Accept: application/pdf`, the answer is the
raw PDF bytes ("%PDF-1.4 ... %%EOF"), "formatted according to the company's custom form styles". The REST
features page (developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features) names application/pdf as
the Accept value for "some transaction entities in PDF format".

The sandbox cannot reproduce the company's form styles (vague by nature): it writes a one-page PDF 1.4 with
the form's type, number, date, customer, lines and total, enough for a client to store, attach or show it.
A missing Id is the usual JSON fault (610 / 2030), as for a read.
"""

from __future__ import annotations

from typing import Any

PDF_FORMS = frozenset({"Invoice", "Estimate", "SalesReceipt", "CreditMemo", "RefundReceipt"})
TITLES = {"SalesReceipt": "Sales Receipt", "CreditMemo": "Credit Memo", "RefundReceipt": "Refund Receipt"}


def _escape(text: str) -> str:
    printable = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
    return printable.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _lines_of(entity: str, record: dict[str, Any], company: str) -> list[str]:
    customer = (record.get("CustomerRef") or {}).get("name") or ""
    out = [
        company,
        f"{TITLES.get(entity, entity)} {record.get('DocNumber', record.get('Id', ''))}",
        f"Date: {record.get('TxnDate', '')}",
        f"Customer: {customer}",
        "",
    ]
    for line in record.get("Line", []):
        if line.get("DetailType") == "SubTotalLineDetail":
            continue
        item = ((line.get("SalesItemLineDetail") or {}).get("ItemRef") or {}).get("name") or ""
        label = line.get("Description") or item or line.get("DetailType", "")
        out.append(f"{label}  {line.get('Amount', '')}")
    out += ["", f"Total: {record.get('TotalAmt', '')}"]
    return out


def form_pdf(entity: str, record: dict[str, Any], company: str) -> bytes:
    """A valid one-page PDF 1.4 (objects, cross-reference table with true byte offsets, trailer)."""
    text = ["BT", "/F1 11 Tf", "14 TL", "50 790 Td"]
    for row in _lines_of(entity, record, company)[:50]:
        text.append(f"({_escape(row)}) Tj T*")
    text.append("ET")
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
