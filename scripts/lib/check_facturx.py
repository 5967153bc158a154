"""Independent checker for Factur-X (EN 16931 profile) invoices, written against the published
specs rather than our Rust code so that both are not wrong the same way.

    .venv/bin/python scripts/lib/check_facturx.py [--xml-dir DIR] INVOICE.pdf...

For each PDF: the embedded factur-x.xml (optionally byte-compared with DIR/NAME.xml), its
flavor and level, the official Factur-X XSD, the CEN/TC 434 EN 16931 rules for CII (vendored
XSLT in en16931/, run with Saxon-HE), and the PDF/A-3 + Factur-X parts of the PDF that can be
read without a full PDF/A validator (header, XMP, embedded file spec, /AF, output intent).
Exit status 1 if any PDF fails; the last line is "N passed, M failed"."""

import argparse
import io
import re
import sys
import time
from pathlib import Path

import facturx
from lxml import etree
from pypdf import PdfReader

try:  # Saxon-HE: the EN 16931 XSLT is XSLT 2.0, which lxml/libxslt cannot run.
    from saxonche import PySaxonProcessor
except ImportError:  # Reported as a failure for every PDF below, never skipped silently.
    PySaxonProcessor = None

# Two independent rule sets: CEN/TC 434's EN 16931 rules for CII (vendored), and FNFE-MPE's
# Factur-X EN16931 schematron as shipped inside the factur-x package (EN 16931 plus the
# Factur-X profile's own restrictions).
RULE_SETS = [
    ("EN 16931", Path(__file__).resolve().parent / "en16931" / "EN16931-CII-validation.xslt"),
    ("Factur-X EN16931",
     Path(facturx.__file__).resolve().parent / "xsd_and_schematron" / "facturx-en16931" / "FACTUR-X_EN16931.xslt"),
]
FX_FILENAME = "factur-x.xml"
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PDFAID = "http://www.aiim.org/pdfa/ns/id/"
PDFA_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
FX = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
# Untrusted input: no entity expansion, no network access while parsing.
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class Result:
    def __init__(self):
        self.problems, self.warnings = [], []

    def fail(self, message):
        self.problems.append(message)

    def expect(self, what, actual, wanted):
        if actual != wanted:
            self.fail(f"{what} is {actual!r}, expected {wanted!r}")


def xmp_values(xmp, namespace, name):
    """Values of an XMP property, whether serialised as an element or as an attribute of
    rdf:Description (both forms are valid XMP)."""
    qname = "{%s}%s" % (namespace, name)
    values = [(e.text or "").strip() for e in xmp.iter(qname)]
    for description in xmp.iter("{%s}Description" % RDF):
        if description.get(qname) is not None:
            values.append(description.get(qname).strip())
    return values


def check_xmp(res, catalog):
    meta = catalog.get("/Metadata")
    if meta is None:
        return res.fail("catalog has no /Metadata (XMP) stream")
    meta = meta.get_object()
    res.expect("/Metadata /Type", meta.get("/Type"), "/Metadata")
    res.expect("/Metadata /Subtype", meta.get("/Subtype"), "/XML")
    try:
        xmp = etree.fromstring(meta.get_data(), SAFE_PARSER)
    except etree.XMLSyntaxError as err:
        return res.fail(f"XMP metadata is not well-formed XML: {err}")

    def one(namespace, prefix, name, wanted=None):
        values = xmp_values(xmp, namespace, name)
        if len(values) != 1:
            return res.fail(f"XMP has {len(values)} {prefix}:{name} values {values}, expected exactly one")
        if wanted is not None:
            res.expect(f"XMP {prefix}:{name}", values[0], wanted)
        return values[0]

    one(PDFAID, "pdfaid", "part", "3")
    if one(PDFAID, "pdfaid", "conformance") not in ("A", "B", "U", None):  # None: already reported
        res.fail("XMP pdfaid:conformance is not A, B or U")
    one(FX, "fx", "DocumentType", "INVOICE")
    one(FX, "fx", "DocumentFileName", FX_FILENAME)
    one(FX, "fx", "Version", "1.0")
    one(FX, "fx", "ConformanceLevel", "EN 16931")
    # PDF/A allows custom XMP properties only if an extension schema describes them.
    if FX not in xmp_values(xmp, PDFA_SCHEMA, "namespaceURI"):
        res.fail("XMP has no pdfaExtension schema for the fx: namespace " + FX)


def check_pdf_structure(res, data):
    # PDF/A (ISO 19005, 6.1.2): "%PDF-1.n" at byte 0, then a comment line of >= 4 bytes >= 128.
    header = re.match(rb"%PDF-(1\.[0-7])(?:\r\n|\r|\n)%[\x80-\xff]{4}", data)
    if not header:
        res.fail(f"PDF header {data[:20]!r} is not '%PDF-1.n' followed by a binary comment line")
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        return res.fail("PDF is encrypted (forbidden by PDF/A)")
    if "/ID" not in reader.trailer:
        res.fail("trailer has no /ID (required by PDF/A)")
    catalog = reader.trailer["/Root"].get_object()
    intents = [i.get_object().get("/S") for i in catalog.get("/OutputIntents", [])]
    if "/GTS_PDFA1" not in intents:
        res.fail(f"no /OutputIntents entry with /S /GTS_PDFA1 (found {intents})")
    check_xmp(res, catalog)

    files = [f for f in reader.attachment_list if f.name == FX_FILENAME]
    if len(files) != 1:
        return res.fail(f"{len(files)} embedded files named {FX_FILENAME}, expected 1")
    spec = files[0].pdf_object
    res.expect("file spec /F", spec.get("/F"), FX_FILENAME)
    res.expect("file spec /UF", spec.get("/UF"), FX_FILENAME)
    relationship = spec.get("/AFRelationship")
    if relationship not in ("/Data", "/Source", "/Alternative"):  # the values Factur-X allows
        res.fail(f"file spec /AFRelationship is {relationship!r}, expected /Data, /Source or /Alternative")
    res.expect("embedded file MIME /Subtype", files[0].subtype, "/text/xml")

    def ref(obj):  # objects are the same if they are the same indirect object
        r = obj.get_object().indirect_reference
        return (r.idnum, r.generation) if r is not None else id(obj.get_object())

    if ref(spec) not in [ref(x) for x in catalog.get("/AF", [])]:
        res.fail(f"the {FX_FILENAME} file spec is not in the catalog /AF array")


class Rules:
    """One schematron rule set (as XSLT), compiled once (about half a second), run on each XML."""

    def __init__(self, saxon, name, stylesheet):
        self.saxon, self.name = saxon, name
        xslt = saxon.new_xslt30_processor()
        self.executable = xslt.compile_stylesheet(stylesheet_file=str(stylesheet))

    def check(self, res, xml_bytes):
        node = self.saxon.parse_xml(xml_text=xml_bytes.decode("utf-8"))
        svrl = etree.fromstring(self.executable.transform_to_string(xdm_node=node).encode("utf-8"))
        # No fired rule means the rules did not apply (wrong root/namespace): not a pass.
        if not list(svrl.iter(SVRL + "fired-rule")):
            res.fail(f"{self.name}: no rule fired, the XML is not a CII invoice the rules recognise")
        for failed in svrl.iter(SVRL + "failed-assert"):
            text = " ".join((failed.findtext(SVRL + "text") or "").split())
            # Locations name every step's namespace; the prefix alone is readable enough.
            location = re.sub(r"\[namespace-uri\(\)='[^']*'\]", "", failed.get("location") or "")
            line = f"{self.name} {failed.get('id')} at {location}: {text}"
            flag = failed.get("flag")
            if flag == "fatal":
                res.fail(line)
            else:
                res.warnings.append(line if flag == "warning" else f"[{flag}] {line}")


def check_xml(res, xml, rules):
    try:
        root = etree.fromstring(xml, SAFE_PARSER)
    except etree.XMLSyntaxError as err:
        return res.fail(f"{FX_FILENAME} is not well-formed XML: {err}")
    try:
        res.expect("Factur-X flavor", facturx.get_flavor(root), "factur-x")
        res.expect("Factur-X level", facturx.get_level(root), "en16931")
    except Exception as err:  # facturx raises bare Exception/ValueError on unknown documents
        res.fail(f"flavor/level not recognised: {err}")
    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    except Exception as err:
        res.fail(f"XSD: {err}")
    if not rules:
        res.fail("EN 16931 rules not run: saxonche is not installed (pip install -r scripts/requirements.txt)")
    for rule_set in rules:
        rule_set.check(res, xml)


def check_against_expected(res, xml, expected_path):
    if not expected_path.is_file():
        return res.fail(f"no expected XML {expected_path}")
    expected = expected_path.read_bytes()
    if xml != expected:
        at = next((i for i, (a, b) in enumerate(zip(xml, expected)) if a != b), min(len(xml), len(expected)))
        res.fail(f"embedded XML differs from {expected_path} at byte {at} "
                 f"({len(xml)} bytes embedded, {len(expected)} expected)")


def check_pdf(path, xml_dir, rules):
    res = Result()
    try:
        data = path.read_bytes()
        check_pdf_structure(res, data)
        filename, xml = facturx.get_facturx_xml_from_pdf(data, check_xsd=False)
        if filename != FX_FILENAME or not xml:
            res.fail(f"no Factur-X XML named {FX_FILENAME} found (got {filename!r})")
            return res
        if xml_dir is not None:
            check_against_expected(res, xml, xml_dir / (path.stem + ".xml"))
        check_xml(res, xml, rules)
    except Exception as err:  # a crash on one PDF must fail that PDF, not hide the others
        res.fail(f"checker error: {type(err).__name__}: {err}")
    return res


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pdfs", nargs="+", type=Path, metavar="PDF")
    parser.add_argument("--xml-dir", type=Path, help="directory with the expected NAME.xml for each NAME.pdf")
    args = parser.parse_args()

    passed = failed = 0
    saxon = PySaxonProcessor(license=False) if PySaxonProcessor else None
    rules = [Rules(saxon, name, path) for name, path in RULE_SETS] if saxon else []
    for pdf in args.pdfs:
        start = time.perf_counter()
        res = check_pdf(pdf, args.xml_dir, rules)
        elapsed = time.perf_counter() - start
        for warning in res.warnings:
            print("  warning: " + warning)
        for problem in res.problems:
            print("  FAIL: " + problem)
        if res.problems:
            failed += 1
            print(f"FAIL {pdf}: {len(res.problems)} problem(s), {len(res.warnings)} warning(s), {elapsed:.2f} s")
        else:
            passed += 1
            print(f"PASS {pdf}: {len(res.warnings)} warning(s), {elapsed:.2f} s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
