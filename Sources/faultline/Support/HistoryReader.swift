import FaultlineCluster
import FaultlineSim
import Foundation

/// Reads a client history in the documented JSON-lines format (`run --history`): one object a line,
/// `{"client","op","key","value","expected","ok","call","return"}`, times in nanoseconds, `return`
/// null when the outcome is unknown. Blank lines are skipped.
///
/// Invariant: every problem names the line (1-based) and the field; nothing is guessed (a missing
/// field, a wrong type, an unknown op, a return before its call are errors).
enum HistoryReader {
    struct Problem: Error, CustomStringConvertible {
        var line: Int
        var reason: String
        var description: String { "line \(line): \(reason)" }
    }

    /// One line as JSONDecoder reads it: strict types (true is not 1, 1.5 is not a whole number).
    struct Line: Decodable {
        var client: Int
        var op: String
        var key: String
        var value: String
        var expected: String
        var ok: Bool
        var call: Int64
        var returned: Int64?

        enum CodingKeys: String, CodingKey {
            case client, op, key, value, expected, ok, call
            case returned = "return"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            client = try container.decode(Int.self, forKey: .client)
            op = try container.decode(String.self, forKey: .op)
            key = try container.decode(String.self, forKey: .key)
            value = try container.decode(String.self, forKey: .value)
            expected = try container.decode(String.self, forKey: .expected)
            ok = try container.decode(Bool.self, forKey: .ok)
            call = try container.decode(Int64.self, forKey: .call)
            guard container.contains(.returned) else {
                throw DecodingError.keyNotFound(CodingKeys.returned, .init(codingPath: [], debugDescription: "missing"))
            }
            returned = try container.decodeNil(forKey: .returned) ? nil : try container.decode(Int64.self, forKey: .returned)
        }
    }

    static func operations(_ text: String) throws -> [ClientOperation] {
        var operations: [ClientOperation] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if trimmed.isEmpty { continue }
            operations.append(try operation(trimmed, line: index + 1))
        }
        return operations
    }

    static func operation(_ text: String, line: Int) throws -> ClientOperation {
        let decoded: Line
        do {
            decoded = try JSONDecoder().decode(Line.self, from: Data(text.utf8))
        } catch DecodingError.keyNotFound(let key, _) {
            throw Problem(line: line, reason: "missing field \"\(key.stringValue)\"")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let name = context.codingPath.last?.stringValue ?? "?"
            throw Problem(line: line, reason: "field \"\(name)\" must be \(expectation(name))")
        } catch DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty {
            let name = context.codingPath.last?.stringValue ?? "?"
            throw Problem(line: line, reason: "field \"\(name)\" must be \(expectation(name))")
        } catch {
            // A valid object whose number is not whole (1.5): name the field.
            if let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
                for name in ["client", "call", "return"] {
                    if let number = object[name] as? NSNumber, number.doubleValue != number.doubleValue.rounded() {
                        throw Problem(line: line, reason: "field \"\(name)\" must be \(expectation(name))")
                    }
                }
                throw Problem(line: line, reason: "a field has the wrong type (\(error))")
            }
            throw Problem(line: line, reason: "not a JSON object")
        }
        guard let kind = ClientOperationKind(rawValue: decoded.op) else {
            throw Problem(line: line, reason: "field \"op\" is \"\(decoded.op)\"; expected get, put, delete or cas")
        }
        guard decoded.call >= 0 else { throw Problem(line: line, reason: "field \"call\" is negative") }
        if let returned = decoded.returned, returned < decoded.call {
            throw Problem(line: line, reason: "\"return\" (\(returned)) is before \"call\" (\(decoded.call))")
        }
        return ClientOperation(client: decoded.client, kind: kind, key: decoded.key, value: decoded.value, expected: decoded.expected,
                               ok: decoded.ok, called: SimInstant(nanosecondsSinceStart: decoded.call),
                               returned: decoded.returned.map { SimInstant(nanosecondsSinceStart: $0) })
    }

    static func expectation(_ field: String) -> String {
        switch field {
        case "client": "a whole number"
        case "ok": "true or false"
        case "call": "a whole number of nanoseconds"
        case "return": "a whole number of nanoseconds or null"
        default: "a string"
        }
    }
}
