namespace VgtData.Config;

/// <summary>Levenshtein distance, for "did you mean" suggestions on unknown keys and undefined names.</summary>
internal static class EditDistance
{
    /// <summary>Names longer than this get no suggestion: the distance costs the product of the lengths.</summary>
    public const int MaxLength = 256;

    /// <summary>The distance when it is at most <paramref name="max"/>, else <c>max + 1</c>. Strings whose lengths differ
    /// by more than <paramref name="max"/>, or longer than <see cref="MaxLength"/>, are not compared at all.</summary>
    public static int Within(string a, string b, int max)
    {
        if (Math.Abs(a.Length - b.Length) > max || a.Length > MaxLength || b.Length > MaxLength) return max + 1;
        Span<int> previous = stackalloc int[b.Length + 1];
        Span<int> current = stackalloc int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            var row = previous;
            previous = current;
            current = row;
        }
        return Math.Min(previous[b.Length], max + 1);
    }
}
