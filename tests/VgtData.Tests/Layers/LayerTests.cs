using System.Text.RegularExpressions;

namespace VgtData.Tests.Layers;

/// <summary>
/// Data flows one way through the runtime's folders: storage → manifest → source → decode → text → dataset → collate →
/// loader → config. A file may name its own folder's namespace and the ones before it, never one after it; the tools
/// (src/VgtData.Tools) may name any runtime folder, and the runtime none of the tools. Read from the source text, so a
/// `using` that points back fails here before it lands.
/// </summary>
public class LayerTests
{
    /// <summary>The runtime's folders in the order data flows through them; "" is the root namespace (exceptions,
    /// sample failures).</summary>
    public static readonly string[] RuntimeLayers =
        ["", "Runtime", "Storage", "Manifests", "Sources", "Images", "Latents", "Text", "Sampling", "Datasets", "Collate", "Loading", "Config"];

    private static readonly Regex Reference = new(@"(?<![\w.])VgtData(?:\.(?<ns>[A-Z]\w*))?(?:\.[A-Z]\w*)*\s*[;.]", RegexOptions.Compiled);

    /// <summary>The tools' namespaces: a runtime file may name none of them.</summary>
    public static readonly string[] ToolNamespaces = ["Preparation", "Validation", "Preview", "Progress", "Upload"];

    // Inside namespace VgtData.X a sibling namespace can be named without the VgtData prefix: `Storage.RegularFile`.
    private static readonly Regex Relative = new(
        $@"(?<![\w.""])(?<ns>{string.Join("|", RuntimeLayers.Where(l => l.Length > 0).Concat(ToolNamespaces))})\.[A-Z]\w*", RegexOptions.Compiled);

    /// <summary>Every namespace a source file names: its <c>using</c> lines and fully qualified references.</summary>
    internal static IEnumerable<(int Line, string Namespace)> References(string text)
    {
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimStart();
            if (line.StartsWith("//") || line.StartsWith("///") || line.StartsWith("namespace ")) continue;
            foreach (Match m in Reference.Matches(line))
                yield return (i + 1, m.Groups["ns"].Value);
            foreach (Match m in Relative.Matches(line))
                yield return (i + 1, m.Groups["ns"].Value);
        }
    }

    /// <summary>The layer a runtime file's namespace or folder names: the first segment below VgtData.</summary>
    internal static int LayerOf(string ns) => Array.IndexOf(RuntimeLayers, ns.Split('.')[0]);

    /// <summary>Each reference from a runtime file to a later layer (or to the tools), as "file:line: A → B".</summary>
    internal static List<string> BackReferences(string runtimeRoot)
    {
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(runtimeRoot, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(runtimeRoot, file).Replace('\\', '/');
            if (relative.StartsWith("obj/") || relative.StartsWith("bin/")) continue;
            var folder = relative.Contains('/') ? relative[..relative.IndexOf('/')] : "";
            int own = LayerOf(folder);
            if (own < 0)
            {
                found.Add($"{relative}: folder '{folder}' is not a runtime layer (add it to LayerTests.RuntimeLayers in data-flow order, or move it to the tools)");
                continue;
            }
            foreach (var (line, ns) in References(File.ReadAllText(file)))
            {
                int target = LayerOf(ns);
                if (target > own) found.Add($"{relative}:{line}: {Name(folder)} → {ns} (a later stage)");
                else if (target < 0) found.Add($"{relative}:{line}: {Name(folder)} → {ns} (not a runtime layer)");
            }
        }
        return found;
    }

    private static string Name(string folder) => folder.Length == 0 ? "VgtData" : folder;

    [Fact]
    public void NoRuntimeFileNamesALaterStageOrTheTools()
    {
        var problems = BackReferences(Path.Combine(SharedData.RepoRoot, "src", "VgtData"));
        Assert.True(problems.Count == 0, "references against the data flow:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void EveryRuntimeFolderIsALayer()
    {
        var folders = Directory.GetDirectories(Path.Combine(SharedData.RepoRoot, "src", "VgtData"))
            .Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).ToList();
        Assert.NotEmpty(folders);
        Assert.All(folders, f => Assert.True(LayerOf(f!) > 0, $"src/VgtData/{f} has no place in LayerTests.RuntimeLayers"));
    }

    [Fact]
    public void TheCheckFindsABackReference()
    {
        var root = Directory.CreateTempSubdirectory("vgtdata-layers-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "Storage"));
            Directory.CreateDirectory(Path.Combine(root, "Collate"));
            File.WriteAllText(Path.Combine(root, "Storage", "A.cs"),
                "using System.Text;\nusing VgtData.Storage;\n\nnamespace VgtData.Storage;\n// VgtData.Loading in a comment is fine\nclass A { VgtData.Datasets.CaptionDataset? d; }\n");
            File.WriteAllText(Path.Combine(root, "Collate", "B.cs"),
                "using VgtData.Datasets;\nusing VgtData.Loading;\nusing VgtData.Preparation;\nnamespace VgtData.Collate;\nclass B { int n = Loading.DataLoaderOptions.MaxWorkers + Images.X.Y; }\n");
            Assert.Equal(
                [
                    "Collate/B.cs:2: Collate → Loading (a later stage)",
                    "Collate/B.cs:3: Collate → Preparation (not a runtime layer)",
                    "Collate/B.cs:5: Collate → Loading (a later stage)",
                    "Storage/A.cs:6: Storage → Datasets (a later stage)",
                ],
                BackReferences(root).OrderBy(s => s, StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
