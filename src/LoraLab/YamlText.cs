using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace LoraLab;

/// <summary>
/// Every YAML text LoraLab reads goes through <see cref="Load"/>: a syntax error is one <see cref="LoraLabException"/>
/// "source:line:column: invalid YAML: …". YamlDotNet reports most errors as <see cref="YamlException"/> with a position;
/// some malformed texts (e.g. an unclosed flow sequence followed by a key) make its scanner throw other exceptions
/// without one, so the position of the last event parsed before the failure is reported instead. A second document
/// ("---") is refused rather than ignored.
/// </summary>
public static class YamlText
{
    public static YamlStream Load(string yaml, string source)
    {
        var parser = new TrackingParser(new Parser(new StringReader(yaml)));
        var stream = new YamlStream();
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            throw new LoraLabException($"{source}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {OneLine(e.Message)}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or NullReferenceException
                                      or FormatException or OverflowException or InvalidCastException or KeyNotFoundException)
        {
            var at = parser.LastEnd;
            throw new LoraLabException(
                $"{source}:{at.Line}:{at.Column}: invalid YAML after this point (check for an unclosed '[', '{{' or quote)", e);
        }
        if (stream.Documents.Count > 1)
            throw new LoraLabException($"{source}:{stream.Documents[1].RootNode.Start.Line}: a second YAML document ('---'); the file must hold one");
        return stream;
    }

    private static string OneLine(string text) => string.Join(' ', text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Passes events through, remembering where the last one ended.</summary>
    private sealed class TrackingParser(IParser inner) : IParser
    {
        public Mark LastEnd { get; private set; } = Mark.Empty;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            bool moved = inner.MoveNext();
            if (moved && inner.Current is { } e) LastEnd = e.End;
            return moved;
        }
    }
}
