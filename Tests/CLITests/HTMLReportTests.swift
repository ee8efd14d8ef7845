import Foundation
import XCTest

/// `run --hvci both --format html` for every Sample, opened in headless Chromium: the page must
/// load without a script error, its self-check (every violation marker links to a finding that
/// exists) must pass, and the samples designed to violate at run time must show markers.
final class HTMLReportTests: XCTestCase {
    /// Chromium from Debian (`make test` installs it), found on PATH.
    static var chromium: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let candidate = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    /// Samples designed to be stopped at run time (a Driver Verifier code or a bug check with
    /// the image loaded), from Samples/designed.json.
    static func samplesWithRuntimeViolations() throws -> Set<String> {
        let url = TestPaths.packageRoot.appendingPathComponent("Samples/designed.json")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        var names: Set<String> = []
        for sample in root?["samples"] as? [[String: Any]] ?? [] {
            guard let name = sample["name"] as? String else { continue }
            let runtime = sample["runtime"] as? [String: Any]
            for run in [runtime, runtime?["hvciOff"] as? [String: Any]] {
                guard let runtime = run, runtime["loads"] as? Bool == true else { continue }
                if runtime["dv"] is String || runtime["bugcheck"] is String { names.insert(name) }
            }
        }
        return names
    }

    func testEverySampleRendersAndShowsItsViolations() throws {
        guard let chromium = Self.chromium else {
            XCTFail("chromium is not installed: run `make test`, which installs it (Debian package chromium)")
            return
        }
        let violating = try Self.samplesWithRuntimeViolations()
        XCTAssertFalse(violating.isEmpty, "designed.json names no run-time violations")
        let bin = TestPaths.packageRoot.appendingPathComponent("Samples/bin")
        let samples = try FileManager.default.contentsOfDirectory(atPath: bin.path).filter { $0.hasSuffix(".sys") }.sorted()
        XCTAssertGreaterThan(samples.count, 10)
        let folder = testScratchFolder.appendingPathComponent("html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var pages: [(name: String, url: URL)] = []
        for file in samples {
            let page = folder.appendingPathComponent(file + ".html")
            let result = try runHVCISim(["run", bin.appendingPathComponent(file).path, "--hvci", "both", "--format", "html", "-o", page.path])
            XCTAssertTrue([0, 1, 3].contains(result.status), "\(file): exit \(result.status): \(result.stderr)")
            pages.append((String(file.dropLast(4)), page))
        }
        let started = Date()
        // A few browsers at a time: each takes about a second, mostly starting up.
        for batch in stride(from: 0, to: pages.count, by: 4).map({ Array(pages[$0..<min($0 + 4, pages.count)]) }) {
            let running = try batch.map { page in (page, try Self.startDump(chromium, page.url, profile: folder)) }
            for ((name, _), dump) in running {
                let (dom, stderr) = dump()
                XCTAssertTrue(dom.contains("data-ok=\"1\""), "\(name): the page's self-check did not pass: "
                              + (dom.range(of: "<body[^>]*>", options: .regularExpression).map { String(dom[$0]) } ?? "no <body>"))
                for line in stderr.split(separator: "\n") where line.contains("Uncaught") || line.contains(":CONSOLE(") {
                    XCTFail("\(name): browser console: \(line)")
                }
                let markers = dom.components(separatedBy: "class=\"violation\"").count - 1
                if violating.contains(name) {
                    XCTAssertGreaterThan(markers, 0, "\(name): designed to violate at run time, but no marker in the page map")
                    XCTAssertTrue(dom.contains("href=\"#finding-"), "\(name): markers do not link to findings")
                }
            }
        }
        print("HTMLReportTests: \(pages.count) pages checked in Chromium in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    /// Starts `chromium --dump-dom` on `url`; the closure waits and returns the DOM and stderr.
    static func startDump(_ chromium: String, _ url: URL, profile folder: URL) throws -> () -> (String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                             "--user-data-dir=" + folder.appendingPathComponent("profile-" + UUID().uuidString).path,
                             "--enable-logging=stderr", "--v=0", "--dump-dom", url.absoluteString]
        // stderr goes to a file, so neither stream can fill a pipe and block the browser.
        let log = folder.appendingPathComponent("chromium-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let err = try FileHandle(forWritingTo: log)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return {
            let stdout = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            try? err.close()
            let stderr = (try? Data(contentsOf: log)) ?? Data()
            return (String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
        }
    }
}
