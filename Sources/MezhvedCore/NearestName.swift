/// Suggestions for a mistyped name: the known name nearest to it by edit distance.
public enum NearestName {
    /// The known name closest to `name` (edit distance over characters, case-insensitive, a swap of
    /// two neighbours counting as one edit), when it is close enough to be the intended one: one edit
    /// for names of three or four characters, two for longer ones, none for shorter ones.
    public static func suggestion(for name: String, among known: some Sequence<String>) -> String? {
        let wanted = Array(name.lowercased())
        let limit = wanted.count <= 2 ? 0 : wanted.count <= 4 ? 1 : 2
        var best: (name: String, distance: Int)?
        for candidate in known {
            let distance = editDistance(wanted, Array(candidate.lowercased()))
            if distance <= limit, distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        return best?.name
    }

    /// The optimal-string-alignment distance between two character arrays: insertions, deletions,
    /// substitutions and swaps of neighbours, each one edit (three rows of the table).
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var beforePrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            (beforePrevious, previous, current) = (previous, current, beforePrevious)
        }
        return previous[b.count]
    }
}
