package io.brook.metadata.image;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Defensive copies for the image records: unmodifiable and sorted by key, so that iteration
 * order (and therefore snapshot and watch output) is the same on every replica.
 */
final class SortedMaps {
    private SortedMaps() {
    }

    static <K, V> Map<K, V> copyOf(Map<K, V> m) {
        if (m instanceof UnmodifiableSorted<K, V> already) {
            return already;
        }
        return new UnmodifiableSorted<>(Collections.unmodifiableSortedMap(new TreeMap<>(m)));
    }

    /** Marks maps that are already sorted copies, so copying an image's map twice is free. */
    private static final class UnmodifiableSorted<K, V> extends java.util.AbstractMap<K, V> {
        private final SortedMap<K, V> delegate;

        UnmodifiableSorted(SortedMap<K, V> delegate) {
            this.delegate = delegate;
        }

        @Override
        public java.util.Set<Entry<K, V>> entrySet() {
            return delegate.entrySet();
        }

        @Override
        public V get(Object key) {
            return delegate.get(key);
        }

        @Override
        public boolean containsKey(Object key) {
            return delegate.containsKey(key);
        }

        @Override
        public int size() {
            return delegate.size();
        }
    }
}
