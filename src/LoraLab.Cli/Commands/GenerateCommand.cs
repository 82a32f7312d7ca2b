using System.CommandLine;

namespace LoraLab.Cli.Commands;

public static class GenerateCommand
{
    public static Command Create()
    {
        var command = new Command("generate", "TODO");
        command.SetAction(_ => CliRunner.Run(() => 0));
        return command;
    }
}
