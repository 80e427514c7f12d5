package io.brook.metadata.config;

/**
 * One configuration key: its name, its default as the string a properties file would hold
 * ({@code null}: required) and the line of documentation the docs table shows.
 */
public record ConfigKey(String name, String defaultValue, String doc) {
}
