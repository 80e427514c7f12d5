package io.brook.clients.cli;

import io.brook.clients.admin.Admin;
import io.brook.proto.security.Scram;
import io.brook.proto.v1.ScramCredentialDeletion;
import io.brook.proto.v1.ScramCredentialInfo;
import io.brook.proto.v1.ScramMechanism;
import io.brook.proto.v1.UserScramCredentialsDescription;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code brook users add|list|delete}: users' SCRAM credentials (what Kafka manages with {@code
 * kafka-configs --entity-type users --alter --add-config 'SCRAM-SHA-256=[iterations=8192,password=...]'}).
 * The salted password is computed here (PBKDF2, RFC 5802) as Kafka's Admin does; the cluster
 * stores only the salt, iteration count, StoredKey and ServerKey.
 */
@Command(name = "users", mixinStandardHelpOptions = true,
    description = "Users that authenticate with a password (SCRAM-SHA-256/512 credentials kept in the metadata quorum).",
    subcommands = {UsersCommand.Add.class, UsersCommand.ListUsers.class, UsersCommand.Delete.class})
public final class UsersCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = {"Create a user's credential, or replace it (a new password or iteration count).",
          "The password is read from --password-file (its first line), else asked on the console (twice), else read"
              + " as the first line of standard input."})
  static final class Add implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "NAME", description = "The user name (the principal is User:NAME).") String name;
    @Option(names = "--mechanism", defaultValue = "SCRAM-SHA-256",
        description = "SCRAM-SHA-256 or SCRAM-SHA-512 (default: ${DEFAULT-VALUE}).") String mechanism;
    @Option(names = "--iterations", defaultValue = "" + Scram.DEFAULT_ITERATIONS,
        description = "PBKDF2 iterations, " + Scram.MIN_ITERATIONS + ".." + Scram.MAX_ITERATIONS + " (default: ${DEFAULT-VALUE}).")
    int iterations;
    @Option(names = "--password-file", paramLabel = "FILE", description = "Read the password from the first line of FILE.")
    Path passwordFile;

    @Override
    public void run() {
      ScramMechanism m = mechanism(spec, mechanism);
      try {
        Scram.checkIterations(iterations);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--iterations: " + e.getMessage());
      }
      if (name.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "the user name is empty");
      }
      char[] password = readPassword(spec);
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        admin.upsertScramCredential(name, m, password, iterations);
      } finally {
        Arrays.fill(password, '\0');
      }
      PrintWriter out = spec.commandLine().getOut();
      out.printf("Set %s credential of user %s (%d iterations)%n", Scram.mechanismName(m), name, iterations);
      out.flush();
    }

    private char[] readPassword(CommandSpec spec) {
      char[] password;
      try {
        if (passwordFile != null) {
          List<String> lines = Files.readAllLines(passwordFile, StandardCharsets.UTF_8);
          password = lines.isEmpty() ? new char[0] : lines.get(0).toCharArray();
        } else {
          Console console = System.console();
          if (console != null) {
            password = console.readPassword("Password for user %s: ", name);
            char[] again = console.readPassword("Again: ");
            if (password == null || again == null || !Arrays.equals(password, again)) {
              throw new ParameterException(spec.commandLine(), "the passwords do not match");
            }
          } else {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            password = line == null ? new char[0] : line.toCharArray();
          }
        }
      } catch (IOException e) {
        throw new ParameterException(spec.commandLine(), "cannot read the password: " + e.getMessage());
      }
      if (password == null || password.length == 0) {
        throw new ParameterException(spec.commandLine(), "the password is empty");
      }
      return password;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Users and their SCRAM mechanisms and iteration counts (never salts or keys).")
  static final class ListUsers implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Parameters(arity = "0..*", paramLabel = "NAME", description = "Only these users (default: every user).")
    List<String> names = new ArrayList<>();
    @Option(names = "--output", defaultValue = "text", description = "text or json.") OutputFormat output;

    @Override
    public void run() {
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        List<UserScramCredentialsDescription> users = admin.describeUserScramCredentials(names);
        PrintWriter out = spec.commandLine().getOut();
        if (output == OutputFormat.json) {
          out.println(users.stream().map(OutputFormat::toJson).collect(Collectors.joining(",", "[", "]")));
        } else {
          List<List<String>> rows = new ArrayList<>();
          rows.add(List.of("USER", "MECHANISM", "ITERATIONS"));
          for (UserScramCredentialsDescription u : users) {
            for (ScramCredentialInfo c : u.getCredentialInfosList()) {
              rows.add(List.of(u.getName(), Scram.mechanismName(c.getMechanism()), Integer.toString(c.getIterations())));
            }
          }
          out.print(GroupsCommand.table(rows));
        }
        out.flush();
      }
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Delete a user's credentials: every mechanism, or only --mechanism.")
  static final class Delete implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "NAME", description = "The user name.") String name;
    @Option(names = "--mechanism", description = "SCRAM-SHA-256 or SCRAM-SHA-512 (default: all the user has).")
    String mechanism;

    @Override
    public void run() {
      ScramMechanism only = mechanism == null ? null : mechanism(spec, mechanism);
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        List<ScramCredentialDeletion> deletions = new ArrayList<>();
        if (only != null) {
          deletions.add(ScramCredentialDeletion.newBuilder().setName(name).setMechanism(only).build());
        } else {
          for (ScramCredentialInfo c : admin.describeUserScramCredentials(List.of(name)).get(0).getCredentialInfosList()) {
            deletions.add(ScramCredentialDeletion.newBuilder().setName(name).setMechanism(c.getMechanism()).build());
          }
        }
        admin.alterUserScramCredentials(List.of(), deletions);
      }
      PrintWriter out = spec.commandLine().getOut();
      out.printf("Deleted user %s%s%n", name, only == null ? "" : " (" + Scram.mechanismName(only) + ")");
      out.flush();
    }
  }

  static ScramMechanism mechanism(CommandSpec spec, String name) {
    try {
      return Scram.mechanism(name);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--mechanism: " + e.getMessage());
    }
  }
}
