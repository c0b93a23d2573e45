import Testing
@testable import FaultlineChaos

/// Scalars are read as YAML types them, never coerced: a quoted number is a string, a plain number is
/// not a name, and tags outside YAML's core schema are refused instead of ignored.
@Suite struct ScalarTypeTests {
    let base = ScenarioText.minimal()

    @Test func aQuotedNumberWhereANumberIsExpectedIsRefused() throws {
        let masters = try #require(ScenarioText.single(base + "  cluster: {masters: \"3\"}\n"))
        #expect(masters.path == "spec.cluster.masters")
        #expect(masters.message == "expected a whole number from 1 to 7, found the string \"3\"; remove the quotes")
        #expect(masters.line == 6 && masters.column == 22)
        let loss = try #require(ScenarioText.single(base + "  network: {loss: '0.1'}\n"))
        #expect(loss.path == "spec.network.loss" && loss.message.hasSuffix("found the string \"0.1\"; remove the quotes"))
        let sigma = try #require(ScenarioText.single(base + "  network: {latency: {distribution: lognormal, median: 1ms, sigma: \"0.5\"}}\n"))
        #expect(sigma.path == "spec.network.latency.sigma" && sigma.message.contains("remove the quotes"))
    }

    @Test func aQuotedBooleanIsAString() throws {
        let diagnostic = try #require(ScenarioText.single(base + "  cluster: {etcd: {pre-vote: \"true\"}}\n"))
        #expect(diagnostic.path == "spec.cluster.etcd.pre-vote")
        #expect(diagnostic.message == "expected true or false, found the string \"true\"")
    }

    @Test(arguments: [("0", "the number 0"), ("1.5", "the number 1.5"), ("true", "the boolean true"), ("null", "null")])
    func aNumberBooleanOrNullWhereAStringIsExpectedIsRefused(text: String, found: String) throws {
        let name = try #require(ScenarioText.single(base.replacingOccurrences(of: "{name: t}", with: "{name: \(text)}")))
        #expect(name.path == "metadata.name")
        #expect(name.message == "expected a string, found \(found); quote it: \"\(text)\"")
        #expect(name.line == 3)
    }

    @Test func aNumberAsAFaultTargetIsRefused() throws {
        let diagnostic = try #require(ScenarioText.single(base + "  faults: [{kind: node-crash, target: 1, at: 1s, duration: 1s}]\n"))
        #expect(diagnostic.path == "spec.faults[0].target")
        #expect(diagnostic.message.hasPrefix("expected a string, found the number 1"))
    }

    @Test(arguments: ["!!python/object", "!!python/object:os.system", "!local", "!", "!!binary", "!<tag:example.com,2000:app/x>"])
    func nonCoreTagsAreRefusedWhereverTheyAre(tag: String) throws {
        let onScalar = try #require(ScenarioText.single(base + "  convergence: \(tag) 10s\n"))
        #expect(onScalar.path == "spec.convergence")
        #expect(onScalar.message.hasPrefix("YAML tag "))
        #expect(onScalar.message.contains("is not supported"))
        #expect(onScalar.line == 6 && onScalar.column == 16)
        let onMapping = try #require(ScenarioText.single(base + "  cluster: \(tag) {masters: 3}\n"))
        #expect(onMapping.path == "spec.cluster" && onMapping.message.hasPrefix("YAML tag "))
        let onList = try #require(ScenarioText.single(base + "  invariants: \(tag) [raft.election-safety]\n"))
        #expect(onList.path == "spec.invariants" && onList.message.hasPrefix("YAML tag "))
    }

    @Test func thePythonTagIsNamedInItsShortForm() throws {
        let diagnostic = try #require(ScenarioText.single(base + "  convergence: !!python/object 10s\n"))
        #expect(diagnostic.message.hasPrefix("YAML tag !!python/object is not supported"))
    }

    @Test func coreSchemaTagsSayWhatTheValueIs() throws {
        // `!!str 3` is the string "3": fine as a name, not as a number; `!!int "3"` is the number 3.
        let plan = try ScenarioText.plan(base + "  cluster: {masters: !!int \"5\"}\n  faults: [{kind: node-crash, target: !!str master-1, at: 1s, duration: 1s}]\n")
        #expect(plan.memberCount == 5)
        #expect(plan.faults.first?.effect == .crash(.named("master-1")))
        let asNumber = try #require(ScenarioText.single(base + "  cluster: {masters: !!str 3}\n"))
        #expect(asNumber.message.contains("found the string \"3\""))
    }
}
