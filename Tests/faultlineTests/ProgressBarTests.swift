import Testing
@testable import faultline

/// The progress bar's ETA (Parallel.swift): from the rate so far, minutes past a minute, none before
/// the first seed.
@Suite struct ProgressBarTests {
    @Test func etaFollowsTheRateSoFar() {
        #expect(ProgressBar.eta(done: 0, total: 10, elapsed: 3) == "ETA --")
        #expect(ProgressBar.eta(done: 5, total: 10, elapsed: 10) == "ETA 10s")
        #expect(ProgressBar.eta(done: 10, total: 100, elapsed: 10) == "ETA 1m30s")
        #expect(ProgressBar.eta(done: 1, total: 3, elapsed: 0.4) == "ETA 1s", "rounded up")
        #expect(ProgressBar.eta(done: 3, total: 3, elapsed: 9) == "done")
    }

    @Test func variantsComeInGridOrder() throws {
        let grid = Variants.grid([("a", ["1", "2"]), ("b", ["10ms", "20ms", "30ms"])])
        #expect(grid.count == 6)
        #expect(grid.map { $0.map(\.value).joined(separator: "/") } == ["1/10ms", "1/20ms", "1/30ms", "2/10ms", "2/20ms", "2/30ms"])
        #expect(Variants.name("s", grid[1]) == "s [a=1, b=20ms]")
        #expect(Variants.grid([]).count == 1, "no --vary: the scenario as it is")
    }
}
