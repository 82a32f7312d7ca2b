using System.Text;

namespace LoraLab.Evaluation.HumanEval;

/// <summary>Thread-safe text buffer that keeps the first <c>capacity</c> characters and drops the rest.</summary>
internal sealed class CappedBuffer(int capacity)
{
    private readonly StringBuilder _text = new();

    public void AppendLine(string? line)
    {
        if (line is null) return;
        lock (_text)
        {
            int room = capacity - _text.Length;
            if (room <= 0) return;
            _text.Append(line.Length + 1 <= room ? line + "\n" : line[..Math.Max(0, room - 1)] + "\n");
        }
    }

    public override string ToString()
    {
        lock (_text) return _text.ToString();
    }
}
