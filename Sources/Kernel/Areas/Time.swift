/// The model's clock and time conversions.
///
/// One clock drives everything: system time (`processor.systemTime`, 100 ns
/// since 1601, UTC — the model's time zone bias is 0), interrupt time (100 ns
/// since boot; the model booted ten minutes before its start time), the tick
/// count (interrupt time / KeQueryTimeIncrement) and the performance counter
/// (10 MHz, equal to interrupt time). KUSER_SHARED_DATA and KeTickCount are
/// rewritten whenever the clock moves, so inline readers agree.
///
/// Time passes only when the driver waits or delays (the wait's timeout,
/// KeDelayExecutionThread, KeStallExecutionProcessor) and by one microsecond
/// per time query through a handler, so a busy loop polling
/// KeQueryPerformanceCounter / KeQueryInterruptTime ends. Advancing the clock
/// expires the timers set with KeSetTimer(Ex).
enum TimeArea {
    static let handlers: [KernelExport] = [
        .ntoskrnl("KeQuerySystemTime") { call in
            try tick(call.kernel)
            try call.kernel.writeU64(call.arg(0), call.kernel.processor.systemTime)
            return 0
        },
        .ntoskrnl("KeQuerySystemTimePrecise") { call in
            try tick(call.kernel)
            try call.kernel.writeU64(call.arg(0), call.kernel.processor.systemTime)
            return 0
        },
        .ntoskrnl("ZwQuerySystemTime") { call in
            try tick(call.kernel)
            try call.kernel.writeU64(call.arg(0), call.kernel.processor.systemTime)
            return UInt64(NTStatus.success)
        },
        .ntoskrnl("NtQuerySystemTime") { call in
            try tick(call.kernel)
            try call.kernel.writeU64(call.arg(0), call.kernel.processor.systemTime)
            return UInt64(NTStatus.success)
        },
        // The model has no sleep: interrupt time and unbiased interrupt time are the same clock.
        .ntoskrnl("KeQueryInterruptTime") { call in try interruptTime(call) },
        .ntoskrnl("KeQueryInterruptTimePrecise") { call in try interruptTimePrecise(call) },
        .ntoskrnl("KeQueryUnbiasedInterruptTime") { call in try interruptTime(call) },
        .ntoskrnl("KeQueryUnbiasedInterruptTimePrecise") { call in try interruptTimePrecise(call) },
        .ntoskrnl("KeQueryTickCount") { call in
            try tick(call.kernel)
            try call.kernel.writeU64(call.arg(0), tickCount(call.kernel))
            return 0
        },
        .ntoskrnl("KeGetTickCount") { call in
            try tick(call.kernel)
            return tickCount(call.kernel) & 0xFFFF_FFFF
        },
        .ntoskrnl("KeQueryTimeIncrement") { _ in UInt64(timeIncrement) },
        .ntoskrnl("ExSetTimerResolution") { _ in UInt64(timeIncrement) }.stub("the clock keeps its one resolution"),
        // KeQueryPerformanceCounter(PerformanceFrequency): 10 MHz, the interrupt time.
        .hal("KeQueryPerformanceCounter") { call in
            try tick(call.kernel)
            let frequency = try call.arg(0)
            if frequency != 0 { try call.kernel.writeU64(frequency, performanceFrequency) }
            return clock(call.kernel).interruptTime
        },
        .ntoskrnl("KeDelayExecutionThread") { try delay($0) },
        .hal("KeStallExecutionProcessor") { call in
            let microseconds = UInt64(try call.arg32(0))
            if microseconds > 50 { call.note("stalls \(microseconds) µs (the DDI asks for ≤ 50)") }
            try advance(call.kernel, by: microseconds * 10)
            return 0
        },
        .ntoskrnl("ZwYieldExecution") { _ in UInt64(NTStatus.noYieldPerformed) },
        .ntoskrnl("NtYieldExecution") { _ in UInt64(NTStatus.noYieldPerformed) },
        // UTC: the bias is 0, local time is system time.
        .ntoskrnl("ExSystemTimeToLocalTime") { call in
            try call.kernel.writeU64(call.arg(1), call.kernel.readU64(call.arg(0)))
            return 0
        },
        .ntoskrnl("ExLocalTimeToSystemTime") { call in
            try call.kernel.writeU64(call.arg(1), call.kernel.readU64(call.arg(0)))
            return 0
        },
        .ntoskrnl("RtlTimeToTimeFields") { call in
            try writeTimeFields(call.kernel, call.arg(1), time: call.kernel.readU64(call.arg(0)))
            return 0
        },
        .ntoskrnl("RtlTimeFieldsToTime") { call in
            guard let time = try timeFromFields(call.kernel, call.arg(0)) else { return 0 }
            try call.kernel.writeU64(call.arg(1), time)
            return 1
        },
        .ntoskrnl("RtlTimeToSecondsSince1970") { try timeToSeconds($0, epoch: epoch1970) },
        .ntoskrnl("RtlTimeToSecondsSince1980") { try timeToSeconds($0, epoch: epoch1980) },
        .ntoskrnl("RtlSecondsSince1970ToTime") { call in
            try call.kernel.writeU64(call.arg(1), UInt64(try call.arg32(0)) * 10_000_000 + epoch1970)
            return 0
        },
        .ntoskrnl("RtlSecondsSince1980ToTime") { call in
            try call.kernel.writeU64(call.arg(1), UInt64(try call.arg32(0)) * 10_000_000 + epoch1980)
            return 0
        },
    ]

    /// 15.625 ms, the default clock interval.
    static let timeIncrement: UInt32 = 156_250
    static let performanceFrequency: UInt64 = 10_000_000
    static let epoch1970: UInt64 = 116_444_736_000_000_000
    static let epoch1980: UInt64 = 119_600_064_000_000_000
    /// What one time query costs (1 µs).
    static let queryCost: UInt64 = 10

    final class Clock {
        /// 100 ns since boot: the model booted ten minutes before it started.
        var interruptTime: UInt64 = 6_000_000_000
        var published = false
    }

    static func clock(_ kernel: Kernel) -> Clock { kernel.state(Clock.self) { Clock() } }

    static func tickCount(_ kernel: Kernel) -> UInt64 { clock(kernel).interruptTime / UInt64(timeIncrement) }

    /// One time query's worth of time.
    /// Ke(Query|QueryUnbiased)InterruptTime: the interrupt clock after this call's tick.
    static func interruptTime(_ call: KernelCall) throws -> UInt64 {
        try tick(call.kernel)
        return clock(call.kernel).interruptTime
    }

    /// The *Precise forms: the same value, also stored to the optional QpcTimeStamp argument.
    static func interruptTimePrecise(_ call: KernelCall) throws -> UInt64 {
        let now = try interruptTime(call), qpc = try call.arg(0)
        if qpc != 0 { try call.kernel.writeU64(qpc, now) }
        return now
    }

    static func tick(_ kernel: Kernel) throws {
        let clock = clock(kernel)
        if !clock.published { try publish(kernel) }
        try advance(kernel, by: queryCost)
    }

    /// Moves the clock forward by `delta` (100 ns units, saturating), expiring timers.
    static func advance(_ kernel: Kernel, by delta: UInt64) throws {
        let clock = clock(kernel)
        let (time, overflow) = kernel.processor.systemTime.addingReportingOverflow(delta)
        let limit = UInt64(Int64.max)
        let newTime = overflow || time > limit ? limit : time
        let step = newTime >= kernel.processor.systemTime ? newTime - kernel.processor.systemTime : 0
        kernel.processor.systemTime = newTime
        let (interrupt, interruptOverflow) = clock.interruptTime.addingReportingOverflow(step)
        clock.interruptTime = interruptOverflow ? limit : min(interrupt, limit)
        try publish(kernel)
        try DeferredArea.expireTimers(kernel)
    }

    /// Moves the clock forward to absolute system time `time` (never back).
    static func advance(_ kernel: Kernel, to time: UInt64) throws {
        let now = kernel.processor.systemTime
        try advance(kernel, by: time > now ? time - now : 0)
    }

    /// The absolute system time of a LARGE_INTEGER due time or timeout: negative relative, positive absolute.
    static func absoluteTime(_ kernel: Kernel, _ value: Int64) -> UInt64 {
        let now = kernel.processor.systemTime
        if value >= 0 { return UInt64(value) }
        let magnitude = value == Int64.min ? UInt64(1) << 63 : UInt64(-value)
        let (sum, overflow) = now.addingReportingOverflow(magnitude)
        return overflow || sum > UInt64(Int64.max) ? UInt64(Int64.max) : sum
    }

    /// Writes the clock into KUSER_SHARED_DATA (KSYSTEM_TIME: LowPart, High1Time, High2Time) and KeTickCount.
    static func publish(_ kernel: Kernel) throws {
        typealias S = Layout.Dispatcher.SharedTime
        let clock = clock(kernel)
        clock.published = true
        let shared = Layout.KUserSharedData.kernelAddress
        func systemTime(_ address: UInt64, _ value: UInt64) throws {
            try kernel.writeU32(address &+ 8, UInt32(truncatingIfNeeded: value >> 32))
            try kernel.writeU32(address, UInt32(truncatingIfNeeded: value))
            try kernel.writeU32(address &+ 4, UInt32(truncatingIfNeeded: value >> 32))
        }
        try systemTime(shared + UInt64(S.interruptTime), clock.interruptTime)
        try systemTime(shared + UInt64(S.systemTime), kernel.processor.systemTime)
        try systemTime(shared + UInt64(S.timeZoneBias), 0)
        try systemTime(shared + UInt64(S.tickCount), tickCount(kernel))
        try kernel.writeU64(shared &+ UInt64(S.qpcFrequency), performanceFrequency)
        if let tickCountExport = kernel.objects.dataExports["KeTickCount"] {
            try systemTime(tickCountExport, tickCount(kernel))
        }
    }

    /// KeDelayExecutionThread(WaitMode, Alertable, Interval): waits out the interval.
    static func delay(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        let interval = Int64(bitPattern: try kernel.readU64(call.arg(2)))
        if SynchronizationArea.currentIrql(kernel) > SynchronizationArea.apcLevel {
            call.note("IRQL violation: KeDelayExecutionThread above APC_LEVEL")
        }
        let target = absoluteTime(kernel, interval)
        call.note(interval < 0 ? "\(UInt64(bitPattern: 0 &- interval) / 10_000) ms" : "until 0x\(String(target, radix: 16))")
        try advance(kernel, to: target)
        return UInt64(NTStatus.success)
    }

    // MARK: Calendar

    /// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    /// 1601-01-01 as days since 1970-01-01.
    static let days1601: Int64 = -134_774
    static let ticksPerDay: UInt64 = 864_000_000_000

    /// RtlTimeToTimeFields: the time is read as unsigned 100 ns units since 1601.
    static func writeTimeFields(_ kernel: Kernel, _ fields: UInt64, time: UInt64) throws {
        typealias F = Layout.Dispatcher.TimeFields
        let dayCount = time / ticksPerDay, rest = time % ticksPerDay
        let (year, month, day) = civil(fromDays: Int64(dayCount) + days1601)
        let milliseconds = rest / 10_000
        let values: [(Int, UInt64)] = [
            (F.year, UInt64(bitPattern: year)), (F.month, UInt64(month)), (F.day, UInt64(day)),
            (F.hour, milliseconds / 3_600_000), (F.minute, milliseconds / 60_000 % 60),
            (F.second, milliseconds / 1000 % 60), (F.milliseconds, milliseconds % 1000),
            (F.weekday, (dayCount + 1) % 7), // 1601-01-01 was a Monday; Sunday is 0.
        ]
        for (offset, value) in values { try kernel.writeU16(fields &+ UInt64(offset), UInt16(truncatingIfNeeded: value)) }
    }

    /// RtlTimeFieldsToTime: nil when a field is out of range (Weekday is ignored).
    static func timeFromFields(_ kernel: Kernel, _ fields: UInt64) throws -> UInt64? {
        typealias F = Layout.Dispatcher.TimeFields
        func field(_ offset: Int) throws -> Int64 { Int64(Int16(bitPattern: try kernel.readU16(fields &+ UInt64(offset)))) }
        let year = try field(F.year), month = try field(F.month), day = try field(F.day)
        let hour = try field(F.hour), minute = try field(F.minute), second = try field(F.second)
        let milliseconds = try field(F.milliseconds)
        let monthDays: [Int64] = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1601...30827).contains(year), (1...12).contains(month), day >= 1, day <= monthDays[Int(month - 1)],
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second),
              (0...999).contains(milliseconds) else { return nil }
        let dayCount = UInt64(days(year: year, month: month, day: day) - days1601)
        let millisecondsOfDay = UInt64(((hour * 60 + minute) * 60 + second) * 1000 + milliseconds)
        let (total, overflow) = dayCount.multipliedReportingOverflow(by: ticksPerDay)
        let (time, overflow2) = total.addingReportingOverflow(millisecondsOfDay * 10_000)
        guard !overflow, !overflow2, time <= UInt64(Int64.max) else { return nil }
        return time
    }

    /// RtlTimeToSecondsSince1970/1980(Time, ElapsedSeconds) → FALSE outside what a ULONG holds.
    static func timeToSeconds(_ call: KernelCall, epoch: UInt64) throws -> UInt64 {
        let time = try call.kernel.readU64(call.arg(0))
        guard Int64(bitPattern: time) >= 0, time >= epoch else { return 0 }
        let seconds = (time - epoch) / 10_000_000
        guard seconds <= UInt64(UInt32.max) else { return 0 }
        try call.kernel.writeU32(call.arg(1), UInt32(seconds))
        return 1
    }
}
