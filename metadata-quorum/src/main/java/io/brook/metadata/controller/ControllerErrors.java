package io.brook.metadata.controller;

import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;

/** The errors controller handlers raise most often, worded the same way everywhere. */
public final class ControllerErrors {
    private ControllerErrors() {
    }

    public static BrookException invalid(String message) {
        return new BrookException(ErrorCode.INVALID_REQUEST, message);
    }

    /** NOT_CONTROLLER naming the active controller (id and controller-API host:port) when known. */
    public static BrookException notController(int leaderId, String leaderHint) {
        String where = leaderId < 0 ? "no active controller is known"
                : "the active controller is node " + leaderId + (leaderHint.isEmpty() ? "" : " at " + leaderHint);
        return new BrookException(ErrorCode.NOT_CONTROLLER, "this node is not the active controller; " + where,
                leaderId, leaderHint);
    }
}
