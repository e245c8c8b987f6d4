// Long-run mutation fuzzing of the default decoder (PNG row decoder, libjpeg-turbo route, GIF decoder): the bounded
// tests' mutator and seeds, for as long as asked, in rounds of fresh seeds. Prints each round and every untyped failure
// with the case that reproduces it; exit code 1 if there was any. A hang shows as a round that never reports.
// Usage: dotnet run -c Release --project benchmarks/ImageFuzz -- [--minutes M] [--format png|jpeg|gif|all] [--seed S] [--round N]
using System.Diagnostics;
using VgtData;
using VgtData.Images;
using VgtData.Tests.Images.Fuzz;

double minutes = 5;
string format = "all";
int seed = 1000, round = 5000;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--minutes": minutes = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--format": format = args[++i]; break;
        case "--seed": seed = int.Parse(args[++i]); break;
        case "--round": round = int.Parse(args[++i]); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var root = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(root, "VgtData.sln"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("VgtData.sln not found");
var shared = Path.GetFullPath(Path.Combine(root, "..", "shared"));
var corpora = new Dictionary<string, List<byte[]>>
{
    ["png"] = FuzzSeeds.Png(),
    ["jpeg"] = FuzzSeeds.Jpeg(Directory.Exists(shared) ? shared : null),
    ["gif"] = FuzzSeeds.Gif(Path.Combine(root, "tests", "VgtData.Tests", "Images", "Transparency")),
};
var formats = format == "all" ? corpora.Keys.ToList() : [format];
if (formats.Any(f => !corpora.ContainsKey(f))) { Console.Error.WriteLine("--format is png, jpeg, gif or all"); return 2; }
if (ImageDecoder.JpegUnavailableReason != null) formats.Remove("jpeg");

var limits = ImageLimits.Default with { MinImageSize = 0, MaxDecodeBytes = 64 << 20 };
var decoder = ImageDecoder.Shared;
var clock = Stopwatch.StartNew();
long total = 0, unexpected = 0;
for (int r = 0; clock.Elapsed.TotalMinutes < minutes; r++)
{
    foreach (var f in formats)
    {
        int roundSeed = seed + r * 7919 + formats.IndexOf(f) * 1_000_003;
        var result = ImageMutator.Run(decoder, corpora[f], round, roundSeed, limits, stop: () => clock.Elapsed.TotalMinutes >= minutes);
        int n = result.Decoded + result.Refused + result.Unexpected.Count;
        total += n;
        unexpected += result.Unexpected.Count;
        Console.WriteLine($"{clock.Elapsed:hh\\:mm\\:ss} {f,-4} round {r} (seed {roundSeed}): {n} inputs, {result.Decoded} decoded, {result.Refused} refused, " +
            $"{result.Unexpected.Count} untyped; slowest {result.Slowest.TotalMilliseconds:0.0} ms (case {result.SlowestCase})");
        foreach (var u in result.Unexpected) Console.WriteLine($"  UNTYPED {f} seed {roundSeed}: {u}");
    }
}
Console.WriteLine($"done: {total} inputs in {clock.Elapsed.TotalMinutes:0.0} min, {unexpected} untyped failures");
return unexpected == 0 ? 0 : 1;
