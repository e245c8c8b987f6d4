namespace VgtData.Sampling;

/// <summary>Rank and world size as torchrun sets them (RANK, WORLD_SIZE), used when a sampler is not told.</summary>
internal static class DistributedEnv
{
    public static (int Rank, int WorldSize) Resolve(int? rank, int? worldSize)
    {
        var w = worldSize ?? ReadEnv("WORLD_SIZE") ?? 1;
        var r = rank ?? ReadEnv("RANK") ?? 0;
        if (w < 1) throw new ArgumentOutOfRangeException(nameof(worldSize), w, "world size must be at least 1");
        if (r < 0 || r >= w) throw new ArgumentOutOfRangeException(nameof(rank), r, $"rank must be in [0, {w}) for world size {w}");
        return (r, w);
    }

    private static int? ReadEnv(string name)
    {
        var v = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrWhiteSpace(v)) return null;
        if (!int.TryParse(v.Trim(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n))
            throw new VgtDataException($"environment variable {name}='{v}' is not an integer");
        return n;
    }
}
