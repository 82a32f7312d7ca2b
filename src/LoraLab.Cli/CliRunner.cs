namespace LoraLab.Cli;

/// <summary>
/// Runs a command body: a user error (<see cref="LoraLabException"/>, a missing file, bad data) is printed as one line
/// on stderr with exit code 2; anything else is a bug and prints its stack trace with exit code 70.
/// </summary>
public static class CliRunner
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (LoraLabException e)
        {
            Console.Error.WriteLine("error: " + OneLine(e.Message));
            return 2;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("error: " + OneLine(e.Message));
            return 2;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("internal error (please report): " + e);
            return 70;
        }
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
