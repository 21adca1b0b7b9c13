// Starts `kfyaml lsp` for pipeline files; the YAML extension (Red Hat) adds the schema's completion.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration("kfyaml").get("command");
  client = new LanguageClient(
    "kfyaml",
    "kfyaml",
    { command, args },
    {
      documentSelector: [
        { scheme: "file", language: "yaml", pattern: "**/pipeline.yaml" },
        { scheme: "file", language: "yaml", pattern: "**/*.kfyaml.yaml" },
      ],
    },
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
