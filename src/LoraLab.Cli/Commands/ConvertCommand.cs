using System.CommandLine;

namespace LoraLab.Cli.Commands;

public static class ConvertCommand
{
    public static Command Create()
    {
        var command = new Command("convert", "TODO");
        command.SetAction(_ => CliRunner.Run(() => 0));
        return command;
    }
}
