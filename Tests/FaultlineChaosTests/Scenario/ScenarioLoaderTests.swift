import FaultlineSim
import Foundation
import Testing
@testable import FaultlineChaos

/// A valid scenario to break one field at a time; `spec:` is the last top-level key so lines can be
/// appended under it. Line numbers: apiVersion 1, kind 2, metadata 3, spec 4, duration 5.
private let minimal = """
apiVersion: faultline.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  duration: 2m

"""

private let file = "Scenarios/hostile.yaml"

/// Loads `yaml` expecting it to be rejected; returns the diagnostics (recording an issue otherwise).
private func diagnostics(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ScenarioDiagnostic] {
    do {
        let plan = try ScenarioLoader.plan(yaml: yaml, file: file)
        Issue.record("expected the scenario to be rejected, got plan \(plan.name)", sourceLocation: sourceLocation)
        return []
    } catch {
        #expect(!error.diagnostics.isEmpty, sourceLocation: sourceLocation)
        for diagnostic in error.diagnostics {
            #expect(diagnostic.file == file, sourceLocation: sourceLocation)
            #expect(diagnostic.description.hasPrefix(file), sourceLocation: sourceLocation)
            #expect(diagnostic.description.contains("error: "), sourceLocation: sourceLocation)
        }
        return error.diagnostics
    }
}

/// The only diagnostic of a rejected scenario.
private func single(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> ScenarioDiagnostic? {
    let found = diagnostics(yaml, sourceLocation: sourceLocation)
    #expect(found.count == 1, "\(found)", sourceLocation: sourceLocation)
    return found.first
}

private func temporaryFile(_ contents: Data, name: String = "scenario.yaml") throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("faultline-scenario-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(name)
    try contents.write(to: url)
    return url
}

@Suite struct ScenarioLoaderTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    // MARK: Shipped scenarios

    static var shipped: [String] {
        let folder = packageRoot.appendingPathComponent("Scenarios")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test func thereAreShippedScenarios() {
        #expect(Self.shipped.count >= 6, "\(Self.shipped)")
    }

    @Test(arguments: ScenarioLoaderTests.shipped)
    func shippedScenarioLoads(name: String) throws {
        let path = Self.packageRoot.appendingPathComponent("Scenarios").appendingPathComponent(name).path
        let plan = try ScenarioLoader.plan(path: path)
        #expect(plan.name + ".yaml" == name, "metadata.name matches the file name")
        #expect(plan.path == path)
        #expect(plan.duration > .zero)
        #expect([1, 3, 5, 7].contains(plan.memberCount))
        #expect(!plan.faults.isEmpty || plan.nemesis != nil, "a scenario injects something")
        for fault in plan.faults {
            #expect(fault.at < plan.duration)
            if let length = fault.duration { #expect(fault.at + length <= plan.duration) }
        }
    }

    @Test func minimalScenarioLoadsWithDefaults() throws {
        let plan = try ScenarioLoader.plan(yaml: minimal, file: file)
        #expect(plan.name == "t")
        #expect(plan.duration == .minutes(2))
        #expect(plan.memberCount == 3)
        #expect(plan.faults.isEmpty)
    }

    // MARK: Empty and not YAML

    @Test(arguments: ["", "   ", "\n\n\t\n"])
    func emptyTextIsRejected(text: String) throws {
        let diagnostic = try #require(single(text))
        #expect(diagnostic.message.contains("is empty"))
        #expect(diagnostic.path.isEmpty)
    }

    @Test func emptyFileOnDiskIsRejectedNamingIt() throws {
        let url = try temporaryFile(Data())
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let error = #expect(throws: ScenarioError.self) { try ScenarioLoader.plan(path: url.path) }
        #expect(error?.diagnostics.count == 1)
        #expect(error?.diagnostics.first?.file == url.path)
        #expect(error?.diagnostics.first?.message.contains("empty") == true)
    }

    @Test func onlyCommentsIsNoDocument() throws {
        let diagnostic = try #require(single("# just a comment\n# and another\n"))
        #expect(diagnostic.message.contains("no YAML document"))
    }

    @Test func unclosedFlowListIsInvalidYAMLWithItsLocation() throws {
        let diagnostic = try #require(single("apiVersion: faultline.dev/v1alpha1\nspec: [unclosed\n"))
        #expect(diagnostic.message.hasPrefix("invalid YAML"))
        #expect(diagnostic.line != nil && diagnostic.column != nil)
        #expect((diagnostic.line ?? 0) >= 2, "the problem is on line 2 or after: \(diagnostic)")
        #expect(diagnostic.description.hasPrefix("\(file):\(diagnostic.line!):\(diagnostic.column!): error: invalid YAML"))
    }

    @Test func tabIndentationIsInvalidYAMLAtTheTab() throws {
        let diagnostic = try #require(single("apiVersion: faultline.dev/v1alpha1\nspec:\n\tduration: 1m\n"))
        #expect(diagnostic.message.hasPrefix("invalid YAML"))
        #expect(diagnostic.line == 3)
        #expect(diagnostic.column == 1)
    }

    @Test func mappingValueInAPlainScalarIsInvalidYAML() throws {
        let diagnostic = try #require(single("kind: a: b\n"))
        #expect(diagnostic.message.hasPrefix("invalid YAML"))
        #expect(diagnostic.line == 1)
        #expect(diagnostic.column == 8)
    }

    @Test(arguments: ["- a\n- b\n", "just some prose, not a scenario\n", "42\n"])
    func nonMappingDocumentIsRejected(text: String) throws {
        let diagnostic = try #require(single(text))
        #expect(diagnostic.message.hasPrefix("expected a mapping with fields apiVersion, kind, metadata, spec"))
        #expect(diagnostic.line == 1 && diagnostic.column == 1)
    }

    @Test func invalidUTF8FileIsRejectedNamingIt() throws {
        let url = try temporaryFile(Data([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x20, 0xff, 0xfe, 0x0a]))
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        do {
            _ = try ScenarioLoader.plan(path: url.path)
            Issue.record("invalid UTF-8 accepted")
        } catch {
            #expect(error.diagnostics.first?.file == url.path)
            #expect(error.diagnostics.first?.message.contains("UTF-8") == true)
        }
    }

    @Test func missingFileAndDirectoryAreRejectedNamingThem() throws {
        let url = try temporaryFile(Data(minimal.utf8))
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        #expect(try ScenarioLoader.plan(path: url.path).name == "t")
        let folder = url.deletingLastPathComponent().path
        do {
            _ = try ScenarioLoader.plan(path: folder)
            Issue.record("a directory was accepted")
        } catch {
            #expect(error.diagnostics.first?.file == folder)
            #expect(error.diagnostics.first?.message.contains("directory") == true)
        }
        let missing = folder + "/missing.yaml"
        do {
            _ = try ScenarioLoader.plan(path: missing)
            Issue.record("a missing file was accepted")
        } catch {
            #expect(error.description == "\(missing): error: no such file")
        }
    }

    // MARK: Wrong header

    @Test func wrongApiVersionNamesFieldLineAndExpectedValue() throws {
        let diagnostic = try #require(single(minimal.replacingOccurrences(of: "faultline.dev/v1alpha1", with: "faultline.dev/v2")))
        #expect(diagnostic.path == "apiVersion")
        #expect(diagnostic.message == "unsupported apiVersion \"faultline.dev/v2\"; expected faultline.dev/v1alpha1")
        #expect(diagnostic.line == 1 && diagnostic.column == 13)
        #expect(diagnostic.description == "\(file):1:13: error: apiVersion: unsupported apiVersion \"faultline.dev/v2\"; expected faultline.dev/v1alpha1")
    }

    @Test func wrongKindNamesFieldAndLine() throws {
        let diagnostic = try #require(single(minimal.replacingOccurrences(of: "kind: Scenario", with: "kind: Deployment")))
        #expect(diagnostic.path == "kind")
        #expect(diagnostic.message.contains("Deployment") && diagnostic.message.contains("Scenario"))
        #expect(diagnostic.line == 2 && diagnostic.column == 7)
    }

    @Test func missingTopLevelFieldsAreEachReported() {
        let found = diagnostics("apiVersion: faultline.dev/v1alpha1\nkind: Scenario\n")
        #expect(found.contains { $0.message == "missing required field \"metadata\"" })
        #expect(found.contains { $0.message == "missing required field \"spec\"" })
    }

    @Test func badNameIsRejected() throws {
        let diagnostic = try #require(single(minimal.replacingOccurrences(of: "{name: t}", with: "{name: Not_Valid}")))
        #expect(diagnostic.path == "metadata.name")
        #expect(diagnostic.message.contains("not a valid name"))
        #expect(diagnostic.line == 3)
    }

    // MARK: Wrong types

    @Test func stringWhereANumberIsExpected() throws {
        let diagnostic = try #require(single(minimal + "  cluster: {masters: three}\n"))
        #expect(diagnostic.path == "spec.cluster.masters")
        #expect(diagnostic.message == "expected a whole number from 1 to 7, found \"three\"")
        #expect(diagnostic.line == 6 && diagnostic.column == 22)
    }

    @Test func listOrMappingWhereAScalarIsExpected() throws {
        let list = try #require(single(minimal + "  cluster: {masters: [3]}\n"))
        #expect(list.path == "spec.cluster.masters" && list.message.hasSuffix("found a list"))
        let mapping = try #require(single(minimal + "  network: {loss: {p: 1}}\n"))
        #expect(mapping.path == "spec.network.loss" && mapping.message.hasSuffix("found a mapping"))
        let scalar = try #require(single(minimal + "  cluster: 3\n"))
        #expect(scalar.path == "spec.cluster" && scalar.message.contains("expected a mapping"))
    }

    @Test(arguments: ["yes", "on", "1", "True "])
    func booleansMustBeTrueOrFalse(text: String) throws {
        let diagnostic = try #require(single(minimal + "  cluster: {etcd: {pre-vote: \(text)}}\n"))
        #expect(diagnostic.path == "spec.cluster.etcd.pre-vote")
        #expect(diagnostic.message.hasPrefix("expected true or false"))
    }

    @Test func durationWithoutUnitIsRejected() throws {
        let diagnostic = try #require(single(minimal.replacingOccurrences(of: "duration: 2m", with: "duration: 120")))
        #expect(diagnostic.path == "spec.duration")
        #expect(diagnostic.message.contains("unit"))
        #expect(diagnostic.line == 5 && diagnostic.column == 13)
    }

    @Test func nonStringFieldNameIsRejected() throws {
        let found = diagnostics(minimal + "  ? [a, b]\n  : c\n")
        #expect(found.contains { $0.path == "spec" && $0.message == "field names must be strings" && $0.line == 6 })
    }

    // MARK: Unknown names

    @Test func unknownFieldSuggestsTheClosestWithItsLocation() throws {
        let diagnostic = try #require(single(minimal + "  clustr: {masters: 3}\n"))
        #expect(diagnostic.path == "spec.clustr")
        #expect(diagnostic.message == "unknown field \"clustr\"; did you mean \"cluster\"?")
        #expect(diagnostic.line == 6 && diagnostic.column == 3)
        let nested = try #require(single(minimal + "  faults:\n    - kind: node-crash\n      target: master-1\n      at: 30s\n      duraton: 20s\n"))
        #expect(nested.path == "spec.faults[0].duraton")
        #expect(nested.message.contains("did you mean \"duration\"?"))
        #expect(nested.line == 10 && nested.column == 7)
    }

    @Test func unknownFieldFarFromAnyNameListsTheKnownOnes() throws {
        let diagnostic = try #require(single(minimal + "  zzzzzzzzzz: 1\n"))
        #expect(diagnostic.path == "spec.zzzzzzzzzz")
        #expect(!diagnostic.message.contains("did you mean"))
        #expect(diagnostic.message.contains("known fields: duration, cluster"))
    }

    @Test func unknownFaultKindSuggestsTheClosest() throws {
        let diagnostic = try #require(single(minimal + "  faults: [{kind: node-crsh, target: master-1, at: 1s, duration: 1s}]\n"))
        #expect(diagnostic.path == "spec.faults[0].kind")
        #expect(diagnostic.message == "unknown fault kind \"node-crsh\"; did you mean \"node-crash\"?")
        #expect(diagnostic.line == 6)
    }

    @Test func faultKindNotImplementedYetIsRejected() throws {
        let diagnostic = try #require(single(minimal + "  faults: [{kind: load-balancer-fault, target: master-1, at: 1s, duration: 1s}]\n"))
        #expect(diagnostic.path == "spec.faults[0].kind")
        #expect(diagnostic.message.hasPrefix("fault kind load-balancer-fault is not supported yet"))
    }

    @Test func unknownInvariantAndMetricSuggestTheClosest() throws {
        let invariant = try #require(single(minimal + "  invariants: [raft.election-safety, raft.election-safty]\n"))
        #expect(invariant.path == "spec.invariants[1]")
        #expect(invariant.message == "unknown invariant \"raft.election-safty\"; did you mean \"raft.election-safety\"?")
        let metric = try #require(single(minimal + "  expectations: [{metric: etcd.leader-elect, within: 5s}]\n"))
        #expect(metric.path == "spec.expectations[0].metric")
        #expect(metric.message == "unknown metric \"etcd.leader-elect\"; did you mean \"etcd.leader-elected\"?")
        let withoutWorkers = try #require(single(minimal + "  expectations: [{metric: pods.evicted, within: 5s}]\n"))
        #expect(withoutWorkers.path == "spec.expectations[0].metric")
        #expect(withoutWorkers.message == "metric pods.evicted needs worker nodes (spec.nodes, with spec.cluster.controlPlane: true)")
        let nonsense = try #require(single(minimal + "  invariants: [qqqqqqqqqqqqqqqq]\n"))
        #expect(nonsense.message.contains("expected one of raft.election-safety"))
    }

    @Test func unknownTargetHostSuggestsTheClosest() throws {
        let diagnostic = try #require(single(minimal + "  faults: [{kind: node-crash, target: master-4, at: 1s, duration: 1s}]\n"))
        #expect(diagnostic.path == "spec.faults[0].target")
        #expect(diagnostic.message.hasPrefix("no machine \"master-4\" in a cluster of 3 masters"))
    }

    @Test func severalProblemsAreAllReportedInFileOrder() {
        let found = diagnostics(minimal + "  cluster: {masters: 4}\n  network: {loss: 1.5}\n  invariants: [raft.election-safty]\n")
        #expect(found.map(\.path) == ["spec.cluster.masters", "spec.network.loss", "spec.invariants[0]"])
        #expect(found.map(\.line) == [6, 7, 8])
    }

    // MARK: Huge and negative numbers

    @Test(arguments: ["99999999999999999999", "1e300", "-99999999999999999999", "0x7fffffffffffffffff", ".inf", "nan", "3.0"])
    func hugeOrNonIntegerNumbersAreRejected(text: String) throws {
        let diagnostic = try #require(single(minimal + "  workload: {etcdClients: {keys: \(text)}}\n"))
        #expect(diagnostic.path == "spec.workload.etcdClients.keys")
        #expect(diagnostic.message == "expected a whole number from 1 to 100000, found \"\(text)\"")
    }

    @Test func outOfRangeIntegersNameTheRange() throws {
        let diagnostic = try #require(single(minimal + "  workload: {etcdClients: {keys: 100001}}\n"))
        #expect(diagnostic.message == "100001 is out of range: expected 1 to 100000")
        let masters = try #require(single(minimal + "  cluster: {masters: 9223372036854775807}\n"))
        #expect(masters.message.contains("out of range"))
    }

    @Test(arguments: ["1e300", "-0.5", "1.0000001", ".inf", "-.inf", ".nan", "nan", "99999999999999999999"])
    func probabilitiesOutsideZeroToOneAreRejected(text: String) throws {
        let diagnostic = try #require(single(minimal + "  network: {loss: \(text)}\n"))
        #expect(diagnostic.path == "spec.network.loss")
        #expect(diagnostic.message.contains("probability"))
    }

    @Test(arguments: ["99999999999999999999s", "1e300s", "9223372036854775807ns1s", "169h", "100000000h", "1.0000000000001s0.5x"])
    func hugeDurationsAreRejectedWithoutOverflow(text: String) throws {
        let diagnostic = try #require(single(minimal + "  convergence: \(text)\n"))
        #expect(diagnostic.path == "spec.convergence")
        #expect(diagnostic.line == 6 && diagnostic.column == 16)
    }

    @Test func runLongerThanADayIsRejected() throws {
        let diagnostic = try #require(single(minimal.replacingOccurrences(of: "duration: 2m", with: "duration: 25h")))
        #expect(diagnostic.message.contains("24h"))
    }

    @Test(arguments: ["-5s", "-1ns", "0s", "0"])
    func negativeOrZeroDurationsAreRejected(text: String) throws {
        let diagnostic = try #require(single(minimal.replacingOccurrences(of: "duration: 2m", with: "duration: \(text)")))
        #expect(diagnostic.path == "spec.duration")
        #expect(diagnostic.line == 5)
    }

    @Test func negativeFaultStartIsRejected() throws {
        let diagnostic = try #require(single(minimal + "  faults: [{kind: node-crash, target: master-1, at: -1s, duration: 1s}]\n"))
        #expect(diagnostic.path == "spec.faults[0].at")
    }

    @Test func negativeTimeSkewOffsetIsAllowedAndKept() throws {
        let plan = try ScenarioLoader.plan(yaml: minimal + "  faults: [{kind: time-skew, target: master-1, at: 1s, duration: 1s, offset: -1500ms}]\n", file: file)
        guard case .timeSkew(_, let offset, _)? = plan.faults.first?.effect else {
            Issue.record("expected a time skew, got \(String(describing: plan.faults.first))")
            return
        }
        #expect(offset == .zero - .milliseconds(1500))
    }

    // MARK: Size, depth and aliases

    @Test func tenThousandNestedFlowListsAreRejectedWithoutCrashing() throws {
        let text = minimal + "  faults: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n"
        let found = diagnostics(text)
        #expect(found.count == 1)
        #expect(found.first?.message.contains("nesting") == true || found.first?.message.contains("nested") == true, "\(found)")
    }

    @Test func tenThousandNestedFlowMappingsAreRejectedWithoutCrashing() throws {
        let text = "a: " + String(repeating: "{a: ", count: 10_000) + "1" + String(repeating: "}", count: 10_000) + "\n"
        let found = diagnostics(text)
        #expect(found.count == 1)
        #expect(found.first?.message.contains("nesting") == true || found.first?.message.contains("nested") == true, "\(found)")
    }

    @Test func nestingBelowTheParserLimitButAboveTheLoaderLimitIsRejectedWithItsPath() throws {
        let depth = 900
        let text = minimal + "  faults: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        let diagnostic = try #require(single(text))
        #expect(diagnostic.message == "nested more than \(ScenarioLoader.maximumDepth) levels deep")
        // The path has the same form as every other diagnostic's (no leading dot).
        #expect(diagnostic.path == "spec.faults" + String(repeating: "[0]", count: ScenarioLoader.maximumDepth - 1), "\(diagnostic.path)")
        #expect(diagnostic.line == 6)
    }

    @Test func tooManyNodesAreRejected() throws {
        let items = Array(repeating: "1", count: ScenarioLoader.maximumNodes + 10).joined(separator: ",")
        let diagnostic = try #require(single(minimal + "  invariants: [\(items)]\n"))
        #expect(diagnostic.message.contains("more than \(ScenarioLoader.maximumNodes) YAML nodes"))
    }

    @Test func billionLaughsIsRefusedAtTheFirstAnchor() throws {
        var bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 { bomb += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n" }
        let diagnostic = try #require(single(bomb + minimal))
        #expect(diagnostic.message.contains("anchors and aliases"), "\(diagnostic)")
        #expect(diagnostic.path == "a0")
        #expect(diagnostic.line == 1)
    }

    /// The loader documents that anchors and aliases are refused; Yams expands aliases while composing,
    /// so even a harmless one must be caught by its anchor.
    @Test func aSingleAliasIsRefused() throws {
        let text = minimal.replacingOccurrences(of: "duration: 2m", with: "duration: &d 2m\n  convergence: *d")
        let diagnostic = try #require(single(text))
        #expect(diagnostic.message.contains("anchors and aliases"))
        #expect(diagnostic.path == "spec.duration")
        #expect(diagnostic.line == 5)
        let key = try #require(single(minimal + "  &k convergence: 5s\n"))
        #expect(key.message.contains("anchors and aliases"))
        #expect(key.line == 6)
    }

    @Test func twoDocumentsAreRejected() throws {
        let diagnostic = try #require(single(minimal + "---\n" + minimal))
        #expect(diagnostic.message.hasPrefix("invalid YAML"))
        #expect(diagnostic.line == 6)
    }

    @Test func textOverTheSizeLimitIsRejectedBeforeParsing() throws {
        let text = minimal + "# " + String(repeating: "x", count: ScenarioLoader.maximumBytes) + "\n"
        let diagnostic = try #require(single(text))
        #expect(diagnostic.message.contains("\(ScenarioLoader.maximumBytes) bytes"))
        let url = try temporaryFile(Data(text.utf8))
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        do {
            _ = try ScenarioLoader.plan(path: url.path)
            Issue.record("an oversized file was accepted")
        } catch {
            #expect(error.diagnostics.first?.file == url.path)
            #expect(error.diagnostics.first?.message.contains("limited to \(ScenarioLoader.maximumBytes) bytes") == true)
        }
    }

    @Test func veryLongStringsAreRejected() throws {
        let long = String(repeating: "n", count: 200_000)
        let name = try #require(single(minimal.replacingOccurrences(of: "{name: t}", with: "{name: \(long)}")))
        #expect(name.path == "metadata.name")
        #expect(name.message.contains("not a valid name"))
        let kind = try #require(single(minimal + "  faults: [{kind: \(long), target: master-1, at: 1s, duration: 1s}]\n"))
        #expect(kind.path == "spec.faults[0].kind")
        #expect(kind.message.hasPrefix("unknown fault kind"))
        #expect(kind.message.contains("expected one of node-crash"))
        let duration = try #require(single(minimal + "  convergence: \(String(repeating: "1", count: 200_000))s\n"))
        #expect(duration.path == "spec.convergence")
        #expect(duration.message.hasSuffix("s\" is not a valid duration"), "\(duration.message.suffix(40))")
        // A field name as long as libyaml allows for a plain key is an unknown field...
        let field = String(repeating: "f", count: 1_000)
        let unknown = try #require(single(minimal + "  \(field): 1\n"))
        #expect(unknown.path == "spec." + field)
        #expect(unknown.message.contains("known fields"))
        // ...and a longer one is a YAML error at its line, not a crash.
        let tooLong = try #require(single(minimal + "  \(long): 1\n"))
        #expect(tooLong.message.hasPrefix("invalid YAML"))
        #expect(tooLong.line == 6 || tooLong.line == 7, "\(tooLong)")
    }

    @Test func duplicateKeysAreRejectedWithTheirName() throws {
        let diagnostic = try #require(single(minimal + "  duration: 3m\n"))
        #expect(diagnostic.message.contains("duplicate keys"))
        #expect(diagnostic.message.contains("duration"))
        // Yams knows where the duplicated key is: the diagnostic carries the line like every other one.
        #expect(diagnostic.line == 5 || diagnostic.line == 6, "\(diagnostic)")
        #expect(diagnostic.column == 3, "\(diagnostic)")
    }
}
