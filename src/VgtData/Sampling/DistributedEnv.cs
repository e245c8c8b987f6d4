using System.Globalization;

namespace VgtData.Sampling;

/// <summary>Rank and world size as torchrun sets them (RANK, WORLD_SIZE), used when a sampler is not told.</summary>
internal static class DistributedEnv
{
    public static (int Rank, int WorldSize) Resolve(int? rank, int? worldSize)
    {
        var envWorld = worldSize is null ? ReadEnv("WORLD_SIZE") : null;
        var envRank = rank is null ? ReadEnv("RANK") : null;
        var w = worldSize ?? envWorld ?? 1;
        var r = rank ?? envRank ?? 0;
        // Values from the environment are the user's to fix, so they get a plain error; bad arguments are a caller's bug.
        if (w < 1)
        {
            if (envWorld is not null) throw new VgtDataException($"environment variable WORLD_SIZE={w} must be at least 1");
            throw new ArgumentOutOfRangeException(nameof(worldSize), w, "world size must be at least 1");
        }
        if (r < 0 || r >= w)
        {
            if (envRank is not null || envWorld is not null)
                throw new VgtDataException($"rank {r} is outside [0, {w}) for world size {w} " +
                    $"(RANK={Environment.GetEnvironmentVariable("RANK") ?? "unset"}, WORLD_SIZE={Environment.GetEnvironmentVariable("WORLD_SIZE") ?? "unset"})");
            throw new ArgumentOutOfRangeException(nameof(rank), r, $"rank must be in [0, {w}) for world size {w}");
        }
        return (r, w);
    }

    private static int? ReadEnv(string name)
    {
        var v = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrWhiteSpace(v)) return null;
        if (!int.TryParse(v.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            throw new VgtDataException($"environment variable {name}='{v}' is not an integer");
        return n;
    }
}
