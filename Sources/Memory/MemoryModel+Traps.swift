import CPU

/// Faults → violations. Only faulting accesses get here; ordinary instructions never do.
extension MemoryModel {
    static let cr0WriteProtectBit: UInt64 = 1 << 16

    func handleFault(_ access: MemoryAccess) -> Bool {
        let rip = faultingInstructionAddress(access)
        if deferToPendingChanges(access, rip: rip) { return false }
        switch access.kind {
        case .writeProtected:
            if pageTablePage(containing: access.address) != nil { return applyGuestPTEWrite(access, rip: rip) }
            return handleProtectedWrite(access, rip: rip)
        case .fetchProtected:
            return handleProtectedFetch(access, rip: rip)
        case .readUnmapped where isSelfMap(access.address), .writeUnmapped where isSelfMap(access.address):
            // The whole self-map reads as page tables: materialise the page (zero PTEs), then
            // Unicorn retries; a write then traps as a PTE write.
            guard (try? materialisePageTable(index: (access.address - configuration.selfMapBase) >> 12)) != nil
            else { return reportUnmapped(access, rip: rip) }
            return true
        default:
            return reportUnmapped(access, rip: rip)
        }
    }

    /// A fault on a page whose PTE the guest changed since Unicorn's map was last derived is
    /// not judged against the stale map: stop, let `run` apply the change, retry the access.
    private func deferToPendingChanges(_ access: MemoryAccess, rip: UInt64) -> Bool {
        guard !pendingSync.isEmpty, pendingSync.contains(PageGeometry.pageNumber(access.address)) else { return false }
        resumeRequested = true
        resumeAddress = rip
        engine.stop()
        return true
    }

    private func handleProtectedWrite(_ access: MemoryAccess, rip: UInt64) -> Bool {
        let vpn = PageGeometry.pageNumber(access.address)
        guard let page = mapped[vpn] else { return reportUnmapped(access, rip: rip) }
        let entry = readPTE(access.address)
        let slat = verifier.slatRights(of: page.pfn)
        let writeProtect = currentWriteProtect()
        if !writeProtect, entry.present, !entry.writable, slat.contains(.write) {
            // CR0.WP = 0: a supervisor write ignores the read-only PTE. Store it ourselves;
            // Unicorn drops its own store to the read-only region.
            store(access, into: page.pfn)
            if page.protection.contains(.execute) {
                try? engine.invalidateTranslations(from: vpn << 12, to: (vpn << 12) &+ PageGeometry.pageSize)
            }
            log(.writeProtectBypass(address: access.address, rip: rip))
            return true
        }
        let isCode = verifier.isExecutable(page.pfn) || !entry.noExecute
        // With CR0.WP clear the PTE does not stop a supervisor write: only the SLAT did.
        let deniedBy: Violation.DeniedBy = entry.writable || !writeProtect ? .slat : .pageTable
        let violation = makeViolation(isCode ? .codePageWrite : .readOnlyWrite, access: .write,
                                      address: access.address, rip: rip, size: access.size,
                                      entry: entry, deniedBy: deniedBy)
        // Unicorn re-runs a page-crossing store byte by byte: log the first trap only.
        if case let .violation(last)? = events.last, last.rip == rip, last.kind == violation.kind,
           PageGeometry.pageNumber(last.address) == vpn, last.continued {
            return true
        }
        // Continuing means denying the store: Unicorn is told the fault was not handled (so
        // nothing is stored; with host-pointer regions a handled fault can still store), and
        // `run` resumes after the instruction.
        guard report(violation) else { return false }
        guard let length = instructionLength(at: rip) else { return true }
        resumeRequested = true
        resumeAddress = rip &+ UInt64(length)
        engine.stop()
        return false
    }

    private func handleProtectedFetch(_ access: MemoryAccess, rip: UInt64) -> Bool {
        let vpn = PageGeometry.pageNumber(access.address)
        guard mapped[vpn] != nil else { return reportUnmapped(access, rip: rip) }
        // Unicorn fetches each instruction of a block separately: one report per page.
        if auditedFetchPages.contains(vpn) { return true }
        let entry = readPTE(access.address)
        // SMEP is the CPU's own check on the guest PTE: it comes first, HVCI on or off.
        let violation = makeViolation(entry.user ? .smepViolation : .executeNonVerified, access: .execute,
                                      address: access.address, rip: rip, size: access.size, entry: entry,
                                      deniedBy: entry.noExecute || entry.user ? .pageTable : .slat)
        let keepGoing = report(violation)
        if keepGoing { auditedFetchPages.insert(vpn) }
        return keepGoing
    }

    private func reportUnmapped(_ access: MemoryAccess, rip: UInt64) -> Bool {
        let type: AccessType = access.kind.isWrite ? .write : access.kind.isFetch ? .execute : .read
        var violation = makeViolation(.unmapped, access: type, address: access.address, rip: rip,
                                      size: access.size, entry: isSelfMap(access.address) ? nil : readPTE(access.address),
                                      deniedBy: .notMapped)
        violation.continued = false
        log(.violation(violation))
        stopViolation = violation
        return false
    }

    /// Logs a violation and applies the policy. Returns true to let the guest go on.
    func report(_ proposed: Violation) -> Bool {
        var violation = proposed
        violation.continued = (decide?(proposed) ?? enforcement) == .audit
        log(.violation(violation))
        if !violation.continued { stopViolation = violation }
        return violation.continued
    }

    func makeViolation(_ kind: Violation.Kind, access: AccessType, address: UInt64, rip: UInt64, size: Int,
                       entry: PageTableEntry?, deniedBy: Violation.DeniedBy) -> Violation {
        let present = entry?.present == true
        let pfn = present ? entry?.pfn : nil
        let liveFrame = pfn.flatMap { frames.isAllocated($0) ? $0 : nil }
        return Violation(kind: kind, access: access, address: address, rip: rip, size: size,
                         pteRights: present ? entry?.rights : nil,
                         slatRights: liveFrame.map { verifier.slatRights(of: $0) },
                         pfn: pfn, owner: owner(of: address), frameOwner: liveFrame.flatMap { frameOwners[$0] },
                         deniedBy: deniedBy, hvci: hvciEnabled, bugCheckCode: Violation.bugCheck(for: kind),
                         pteBefore: nil, pteAfter: nil, continued: false, pte: entry)
    }

    func currentWriteProtect() -> Bool {
        guard followGuestCR0, let cr0 = try? engine.read(.cr0) else { return writeProtect }
        return cr0 & Self.cr0WriteProtectBit != 0
    }

    /// Stores a trapped write's bytes that fall in its page into the frame.
    private func store(_ access: MemoryAccess, into pfn: PFN) {
        guard let host = frames.host(pfn) else { return }
        let offset = PageGeometry.pageOffset(access.address)
        let count = min(access.size, 8, Int(PageGeometry.pageSize) - offset)
        guard count > 0 else { return }
        for byte in 0..<count {
            host.storeBytes(of: UInt8(truncatingIfNeeded: access.value >> (8 * UInt64(byte))),
                            toByteOffset: offset + byte, as: UInt8.self)
        }
    }

    /// Moves RIP past the instruction at RIP (`InstructionDecoder` decodes its length), e.g. to
    /// resume after an enforce-mode stop the caller chose to forgive. Returns the skipped
    /// instruction's address and length (`disassemble(at:)` gives its text).
    @discardableResult
    public func skipInstruction() throws(MemoryError) -> (address: UInt64, length: Int) {
        let rip: UInt64
        do { rip = try engine.read(.rip) } catch { throw .engine(error) }
        guard let length = instructionLength(at: rip) else { throw .notMapped(rip) }
        do { try engine.write(.rip, rip &+ UInt64(length)) } catch { throw .engine(error) }
        return (rip, length)
    }

    /// The instruction at `address` as text ("mov qword ptr [rax], rbx"), for reports.
    public func disassemble(at address: UInt64) -> Instruction? {
        disassembler?.decode(in: engine, at: address)
    }
}
