import Foundation
import Testing
@testable import FaultlineReport

/// `Reports/metadata.json` (for `datasette Reports/faultline.sqlite -m Reports/metadata.json`) agrees
/// with the schema and with `Reports/queries/`: every described table and column exists, every table
/// is described, every canned query is the file's text.
@Suite struct MetadataTests {
    struct Metadata: Decodable {
        struct Table: Decodable {
            var description: String
            var columns: [String: String]?
        }
        struct Query: Decodable {
            var title: String
            var sql: String
        }
        struct Database: Decodable {
            var tables: [String: Table]
            var queries: [String: Query]
        }
        var databases: [String: Database]
    }

    @Test func describesTheSchemaAndShipsTheQueries() throws {
        let root = CLIRoot.url.appendingPathComponent("Reports")
        let metadata = try JSONDecoder().decode(Metadata.self, from: Data(contentsOf: root.appendingPathComponent("metadata.json")))
        let database = try #require(metadata.databases["faultline"])
        let dir = try ReportStoreTests.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try ReportStore(path: dir.appendingPathComponent("m.sqlite").path)
        let objects = try store.query("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'grdb%' AND name NOT LIKE 'sqlite%' ORDER BY name")
            .exactRows.map { $0[0] }
        #expect(database.tables.keys.sorted() == objects)
        for (name, table) in database.tables {
            let columns = Set(try store.query("SELECT name FROM pragma_table_info(?)", arguments: [name]).exactRows.map { $0[0] })
            for column in (table.columns ?? [:]).keys { #expect(columns.contains(column), "\(name).\(column)") }
            if let described = table.columns { #expect(Set(described.keys) == columns, "\(name): every column described") }
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("queries").path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(database.queries.keys.sorted() == files.map { String($0.dropLast(4)) })
        for file in files {
            let text = try String(contentsOf: root.appendingPathComponent("queries/\(file)"), encoding: .utf8)
            #expect(database.queries[String(file.dropLast(4))]?.sql == text, "\(file) differs from metadata.json")
            _ = try store.query(text)
        }
    }
}
