namespace LoraLab;

/// <summary>
/// An error caused by the user's input (a file, a config field, an argument) rather than a bug.
/// The message names the file and field and says how to fix it; the CLI prints it on one line and exits non-zero.
/// </summary>
public class LoraLabException : Exception
{
    public LoraLabException(string message) : base(message) { }

    public LoraLabException(string message, Exception inner) : base(message, inner) { }
}
