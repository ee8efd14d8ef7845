import Foundation
import Testing

/// docs/walkthrough.md shows commands and their output; this runs every `$ hvcisim …` command
/// of its ```console blocks from the repository root and requires the block to hold exactly
/// what the tool prints, so the page cannot drift from the tool. After an intended change,
/// `HVCISIM_UPDATE_WALKTHROUGH=1 swift test --filter WalkthroughTests` rewrites the outputs
/// (the prose stays); review the diff.
struct WalkthroughTests {
    static let page = TestPaths.packageRoot.appendingPathComponent("docs/walkthrough.md")

    struct Block {
        var command: [String]
        /// Line range of the output in the page (after the command line, before the fence).
        var output: Range<Int>
    }

    static func blocks(_ lines: [String]) -> [Block] {
        var blocks: [Block] = []
        var index = 0
        while index < lines.count {
            if lines[index] == "```console", index + 1 < lines.count, lines[index + 1].hasPrefix("$ hvcisim ") {
                let command = lines[index + 1].dropFirst("$ hvcisim ".count).split(separator: " ").map(String.init)
                var end = index + 2
                while end < lines.count, lines[end] != "```" { end += 1 }
                blocks.append(Block(command: command, output: (index + 2)..<end))
                index = end
            }
            index += 1
        }
        return blocks
    }

    @Test func everyCommandPrintsWhatThePageShows() throws {
        var lines = try String(contentsOf: Self.page, encoding: .utf8).components(separatedBy: "\n")
        let blocks = Self.blocks(lines)
        #expect(blocks.count >= 22)
        let update = ProcessInfo.processInfo.environment["HVCISIM_UPDATE_WALKTHROUGH"] == "1"
        for block in blocks.reversed() {
            let result = try runHVCISim(block.command, currentDirectory: TestPaths.packageRoot)
            #expect([0, 1, 3].contains(result.status), "\(block.command): exit \(result.status) \(result.stderr)")
            var printed = result.stdout.components(separatedBy: "\n")
            if printed.last == "" { printed.removeLast() }
            if update {
                lines.replaceSubrange(block.output, with: printed)
            } else {
                #expect(Array(lines[block.output]) == printed, "docs/walkthrough.md is out of date for: hvcisim \(block.command.joined(separator: " "))")
            }
        }
        if update { try lines.joined(separator: "\n").write(to: Self.page, atomically: true, encoding: .utf8) }
    }
}
