package io.brook.metadata.controller.group;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The server assignors this cluster offers, by name; {@code uniform} is the default. */
public final class Assignors {
    private final Map<String, Assignor> byName = new TreeMap<>();

    public Assignors() {
        for (Assignor a : new Assignor[] {new UniformAssignor(), new RangeAssignor()}) {
            byName.put(a.name(), a);
        }
    }

    /** The assignor named {@code name}; "" names the default. */
    public Optional<Assignor> get(String name) {
        return Optional.ofNullable(byName.get(name.isEmpty() ? UniformAssignor.NAME : name));
    }

    public Collection<String> names() {
        return byName.keySet();
    }

    /**
     * The group's assignor: the one most members prefer (members without a preference do not
     * count), ties by name; the default when nobody has a preference.
     */
    public Assignor choose(Collection<String> preferences) {
        Map<String, Integer> votes = new HashMap<>();
        for (String p : preferences) {
            if (!p.isEmpty() && byName.containsKey(p)) {
                votes.merge(p, 1, Integer::sum);
            }
        }
        String best = UniformAssignor.NAME;
        int bestVotes = 0;
        for (Map.Entry<String, Integer> e : new TreeMap<>(votes).entrySet()) {
            if (e.getValue() > bestVotes) {
                best = e.getKey();
                bestVotes = e.getValue();
            }
        }
        return byName.get(best);
    }
}
