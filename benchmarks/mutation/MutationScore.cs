#:property VgtReferenceTorchBackend=false
#:property VgtTorchSharpCompat=false
// Reads Stryker's JSON mutation report and prints killed / survived / timeout / no-coverage per src/VgtData folder and
// the score; with --survivors also each surviving or uncovered mutant (file:line, mutator, replacement).
// Usage: dotnet run benchmarks/mutation/MutationScore.cs -- REPORT.json... [--survivors]
using System.Text.Json;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: MutationScore.cs REPORT.json... [--survivors]");
    return 2;
}
bool listSurvivors = args.Contains("--survivors");
var rows = new SortedDictionary<string, int[]>(StringComparer.Ordinal);
var survivors = new List<string>();
// Columns: killed, survived, timeout, no coverage, compile error, ignored.
string[] statuses = ["Killed", "Survived", "Timeout", "NoCoverage", "CompileError", "Ignored"];
foreach (var report in args.Where(a => a != "--survivors"))
{
    using var doc = JsonDocument.Parse(File.ReadAllBytes(report));
    foreach (var file in doc.RootElement.GetProperty("files").EnumerateObject())
    {
        var path = file.Name.Replace('\\', '/');
        int at = path.IndexOf("src/VgtData/", StringComparison.Ordinal);
        var relative = at >= 0 ? path[(at + "src/VgtData/".Length)..] : path;
        var folder = relative.Contains('/') ? relative[..relative.IndexOf('/')] : "(root)";
        if (!rows.TryGetValue(folder, out var row)) rows[folder] = row = new int[statuses.Length];
        foreach (var mutant in file.Value.GetProperty("mutants").EnumerateArray())
        {
            var status = mutant.GetProperty("status").GetString();
            int column = Array.IndexOf(statuses, status);
            if (column < 0) continue;
            row[column]++;
            if (listSurvivors && status is "Survived" or "NoCoverage")
            {
                var line = mutant.GetProperty("location").GetProperty("start").GetProperty("line").GetInt32();
                var replacement = mutant.TryGetProperty("replacement", out var r) ? r.GetString() : "";
                var name = mutant.GetProperty("mutatorName").GetString();
                survivors.Add($"{status,-10} {relative}:{line}  {name}: {OneLine(replacement)}");
            }
        }
    }
}

Console.WriteLine($"{"folder",-12} {"killed",7} {"survived",8} {"timeout",7} {"no-cov",6} {"score",7}");
int[] total = new int[statuses.Length];
foreach (var (folder, row) in rows)
{
    for (int i = 0; i < row.Length; i++) total[i] += row[i];
    Console.WriteLine(Line(folder, row));
}
if (rows.Count > 1) Console.WriteLine(Line("total", total));
foreach (var s in survivors) Console.WriteLine(s);
return 0;

// Stryker's score: detected (killed + timeout) over all valid mutants (detected + survived + no coverage).
static string Line(string name, int[] r)
{
    int detected = r[0] + r[2], valid = detected + r[1] + r[3];
    var score = valid == 0 ? "n/a" : $"{100.0 * detected / valid:0.0}%";
    return $"{name,-12} {r[0],7} {r[1],8} {r[2],7} {r[3],6} {score,7}";
}

static string OneLine(string? s)
{
    s ??= "";
    s = string.Join(' ', s.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(x => x.Trim()));
    return s.Length > 100 ? s[..100] + "…" : s;
}
