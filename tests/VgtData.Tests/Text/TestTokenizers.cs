using VgtData.Text;

namespace VgtData.Tests.Text;

/// <summary>The shared tokenizers, loaded once per test run (they take a second or two each).</summary>
internal static class TestTokenizers
{
    private static readonly Dictionary<string, HfTokenizer> Loaded = new();

    public static HfTokenizer Get(string name)
    {
        var dir = SharedData.Require($"tokenizers/{name}");
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(name, out var t)) Loaded[name] = t = HfTokenizer.Load(dir);
            return t;
        }
    }
}
