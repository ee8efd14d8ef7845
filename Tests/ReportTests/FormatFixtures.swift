import JSON
@testable import Report

/// A hand-written run report (docs/report-schema.md) with what SARIF and JUnit must map: a
/// static error and note, two run-time findings of one code (one suppressed by a baseline),
/// one with a site inside the image and a stack, an entry point that timed out, a second
/// configuration, and a hostile debug string in a title.
enum FormatFixtures {
    static let hostile = "evil <tag> & \\\"quote\\\" \\u0001\\u001b bell\\u0007"

    static let runReport = """
    {
      "schemaVersion": "1.0",
      "image": { "path": "drivers/my drv.sys", "sha256": "ab", "sizeOfImage": 24576,
                 "sections": [ { "name": ".wx", "rva": "0x2000" } ] },
      "findings": [
        { "code": "0x2003", "title": "executable and writable section", "severity": "error", "phase": "static",
          "section": ".wx", "bugCheck": null, "fix": "split it", "details": {}, "fingerprint": "f0" },
        { "code": "NX_COMPAT_MISSING", "title": "no NX_COMPAT", "severity": "note", "phase": "static",
          "section": null, "bugCheck": null, "fix": "/NXCOMPAT", "details": {}, "fingerprint": "f1" }
      ],
      "runs": [
        { "hvci": "off", "verifier": "on", "mode": "audit", "loaded": true, "loadFailure": null,
          "loadFindings": [], "imageBase": "0xfffff80640000000",
          "entryPoints": [ { "name": "DriverEntry", "address": "0xfffff80640001000",
                             "outcome": { "kind": "returned", "summary": "STATUS_SUCCESS" }, "findings": [] } ],
          "coverage": { "found": 1, "run": 1, "completed": 1 }, "verdict": "compatible", "verdictReason": null },
        { "hvci": "on", "verifier": "on", "mode": "audit", "loaded": true, "loadFailure": null,
          "loadFindings": [], "imageBase": "0xfffff80640000000",
          "entryPoints": [
            { "name": "DriverEntry", "address": "0xfffff80640001000",
              "outcome": { "kind": "returned", "summary": "STATUS_SUCCESS" },
              "findings": [
                { "code": "CODE_PAGE_WRITE", "title": "\(hostile)", "severity": "error", "phase": "runtime",
                  "section": ".text", "bugCheck": { "code": "0xbe", "parameters": [] }, "fix": "do not patch code",
                  "details": { "target": "0xfffff80640001000" },
                  "site": { "address": "0xfffff8064000102a", "symbol": "drv.sys!.text+0x2a (DriverEntry+0x2a)" },
                  "instruction": "mov byte ptr [rax], 0xc3",
                  "stack": [ { "address": "0xfffff80640001100", "symbol": "drv.sys!.text+0x100 (GsDriverEntry+0x10)" } ],
                  "fingerprint": "f2" },
                { "code": "CODE_PAGE_WRITE", "title": "write to a code page", "severity": "error", "phase": "runtime",
                  "section": ".text", "bugCheck": null, "fix": "do not patch code", "details": {},
                  "site": { "address": "0xfffff80640001030", "symbol": "drv.sys!.text+0x30 (DriverEntry+0x30)" },
                  "stack": [], "fingerprint": "f3", "suppressed": true }
              ] },
            { "name": "IRP_MJ_CREATE", "address": "0xfffff80640001200",
              "outcome": { "kind": "timeout", "summary": "ran for 10 s" }, "findings": [
                { "code": "PTE_TAMPER", "title": "PTE edit", "severity": "warning", "phase": "runtime", "section": null,
                  "bugCheck": null, "fix": "do not edit PTEs", "details": {}, "site": null, "stack": [], "fingerprint": "f4" } ] }
          ],
          "coverage": { "found": 2, "run": 2, "completed": 1 }, "verdict": "incompatible", "verdictReason": null }
      ],
      "verdict": "incompatible",
      "verdictReason": null,
      "decidedBy": "hvci on, verifier on, audit"
    }
    """

    /// A run whose image Code Integrity refused, and one the tool could not load.
    static func refused(kind: String) -> String {
        """
        { "image": { "path": "bad.sys", "sha256": "cd" }, "findings": [],
          "runs": [ { "hvci": "on", "verifier": "on", "mode": "audit", "loaded": false,
                      "loadFailure": "Code Integrity refuses: section .wx is writable and executable",
                      "loadFailureKind": "\(kind)", "loadFindings": [], "imageBase": null, "entryPoints": [],
                      "coverage": { "found": 0, "run": 0, "completed": 0 },
                      "verdict": "\(kind == "code-integrity" ? "incompatible" : "inconclusive")", "verdictReason": null } ],
          "verdict": "incompatible", "decidedBy": "hvci on, verifier on, audit" }
        """
    }

    static func document(_ text: String) throws -> ReportDocument {
        try ReportDocument(json: try JSONValue.parse(Array(text.utf8)))
    }
}
