"""PostgreSQL's SQLSTATE error codes as exception classes (generated — do not edit).

One `PostgresError` subclass per code of PostgreSQL 15's Appendix A, "PostgreSQL Error Codes":
a class per SQLSTATE class (``IntegrityConstraintViolation`` 23000, ``DataException`` 22000 …)
and a class per condition, derived from its class (``UniqueViolation`` 23505 under
``IntegrityConstraintViolation``).  Each registers itself through
``PostgresError.__init_subclass__(sqlstate=...)``, so once this module is imported
``PostgresError.from_fields`` builds the most specific class for a server's ErrorResponse, falling
back to the class of the first two characters, then to `PostgresError`.

The SQLSTATE classes sit under DB-API (PEP 249) groups, so code written for psycopg2 or
``twisted.enterprise.adbapi`` can catch errors the way it already does:

* ``IntegrityError`` — classes 23, 27, 44;
* ``DataError`` — class 22;
* ``NotSupportedError`` — class 0A;
* ``ProgrammingError`` — classes 0F, 0L, 0P, 0Z, 20, 21, 26, 2B, 34, 3D, 3F, 42;
* ``OperationalError`` — classes 08, 28, 40, 53, 54, 55, 57, 58, 72, F0, HV;
* ``InternalError`` — classes 03, 09, 0B, 24, 25, 2D, 2F, 38, 39, 3B, P0, XX;
* none — classes 00, 01, 02 (success, warnings, no data derive from `PostgresError` directly).

``DatabaseError`` is another name for `PostgresError` (every server error is one).  Raising a
group in a server handler sends its representative code (``DataError`` -> 22000).

Names are the CamelCase condition names of PL/pgSQL, with three adjustments made by the
generator (``_generate_sqlstates.py``): warnings of class 01 end in ``Warning``; names of Python
builtins and of the groups above get the prefix ``Sql`` (``SqlSyntaxError`` 42601, ``SqlWarning``,
``SqlSystemError``, ``SqlInternalError`` XX000);
a condition name shared by several classes carries its class as prefix outside the first
(``ExternalRoutineModifyingSqlDataNotPermitted`` 38002).  `CONDITION_NAMES` maps every code
to its PL/pgSQL condition name.
"""

from __future__ import annotations

from typing import Final

from .errors import PostgresError

DatabaseError = PostgresError


class IntegrityError(PostgresError):
    """A constraint rejected the data (classes 23, 27, 44)."""

    default_sqlstate = "23000"


class DataError(PostgresError):
    """A value is invalid or out of range (class 22)."""

    default_sqlstate = "22000"


class NotSupportedError(PostgresError):
    """The server does not support the feature (class 0A)."""

    default_sqlstate = "0A000"


class ProgrammingError(PostgresError):
    """The SQL or the objects it names are wrong: syntax, undefined or duplicate objects,
    permissions (classes 0F, 0L, 0P, 0Z, 20, 21, 26, 2B, 34, 3D, 3F, 42).
    """

    default_sqlstate = "42000"


class OperationalError(PostgresError):
    """The environment failed, not the program: connection, authentication, serialization and
    deadlocks, resources, limits, operator intervention, system and configuration errors (classes
    08, 28, 40, 53, 54, 55, 57, 58, 72, F0, HV).
    """

    default_sqlstate = "08000"


class InternalError(PostgresError):
    """Transaction or cursor state, routines, savepoints, PL/pgSQL and internal errors (classes 03,
    09, 0B, 24, 25, 2D, 2F, 38, 39, 3B, P0, XX).
    """

    default_sqlstate = "XX000"


class SuccessfulCompletion(PostgresError, sqlstate="00000"):
    """Class 00 — Successful Completion."""


class SqlWarning(PostgresError, sqlstate="01000"):
    """Class 01 — Warning."""


class DynamicResultSetsReturnedWarning(SqlWarning, sqlstate="0100C"):
    """0100C dynamic_result_sets_returned."""


class ImplicitZeroBitPaddingWarning(SqlWarning, sqlstate="01008"):
    """01008 implicit_zero_bit_padding."""


class NullValueEliminatedInSetFunctionWarning(SqlWarning, sqlstate="01003"):
    """01003 null_value_eliminated_in_set_function."""


class PrivilegeNotGrantedWarning(SqlWarning, sqlstate="01007"):
    """01007 privilege_not_granted."""


class PrivilegeNotRevokedWarning(SqlWarning, sqlstate="01006"):
    """01006 privilege_not_revoked."""


class StringDataRightTruncationWarning(SqlWarning, sqlstate="01004"):
    """01004 string_data_right_truncation."""


class DeprecatedFeatureWarning(SqlWarning, sqlstate="01P01"):
    """01P01 deprecated_feature."""


class NoData(PostgresError, sqlstate="02000"):
    """Class 02 — No Data (this is also a warning class per the SQL standard)."""


class NoAdditionalDynamicResultSetsReturned(NoData, sqlstate="02001"):
    """02001 no_additional_dynamic_result_sets_returned."""


class SqlStatementNotYetComplete(InternalError, sqlstate="03000"):
    """Class 03 — SQL Statement Not Yet Complete."""


class ConnectionException(OperationalError, sqlstate="08000"):
    """Class 08 — Connection Exception."""


class ConnectionDoesNotExist(ConnectionException, sqlstate="08003"):
    """08003 connection_does_not_exist."""


class ConnectionFailure(ConnectionException, sqlstate="08006"):
    """08006 connection_failure."""


class SqlclientUnableToEstablishSqlconnection(ConnectionException, sqlstate="08001"):
    """08001 sqlclient_unable_to_establish_sqlconnection."""


class SqlserverRejectedEstablishmentOfSqlconnection(ConnectionException, sqlstate="08004"):
    """08004 sqlserver_rejected_establishment_of_sqlconnection."""


class TransactionResolutionUnknown(ConnectionException, sqlstate="08007"):
    """08007 transaction_resolution_unknown."""


class ProtocolViolation(ConnectionException, sqlstate="08P01"):
    """08P01 protocol_violation."""


class TriggeredActionException(InternalError, sqlstate="09000"):
    """Class 09 — Triggered Action Exception."""


class FeatureNotSupported(NotSupportedError, sqlstate="0A000"):
    """Class 0A — Feature Not Supported."""


class InvalidTransactionInitiation(InternalError, sqlstate="0B000"):
    """Class 0B — Invalid Transaction Initiation."""


class LocatorException(ProgrammingError, sqlstate="0F000"):
    """Class 0F — Locator Exception."""


class InvalidLocatorSpecification(LocatorException, sqlstate="0F001"):
    """0F001 invalid_locator_specification."""


class InvalidGrantor(ProgrammingError, sqlstate="0L000"):
    """Class 0L — Invalid Grantor."""


class InvalidGrantOperation(InvalidGrantor, sqlstate="0LP01"):
    """0LP01 invalid_grant_operation."""


class InvalidRoleSpecification(ProgrammingError, sqlstate="0P000"):
    """Class 0P — Invalid Role Specification."""


class DiagnosticsException(ProgrammingError, sqlstate="0Z000"):
    """Class 0Z — Diagnostics Exception."""


class StackedDiagnosticsAccessedWithoutActiveHandler(DiagnosticsException, sqlstate="0Z002"):
    """0Z002 stacked_diagnostics_accessed_without_active_handler."""


class CaseNotFound(ProgrammingError, sqlstate="20000"):
    """Class 20 — Case Not Found."""


class CardinalityViolation(ProgrammingError, sqlstate="21000"):
    """Class 21 — Cardinality Violation."""


class DataException(DataError, sqlstate="22000"):
    """Class 22 — Data Exception."""


class ArraySubscriptError(DataException, sqlstate="2202E"):
    """2202E array_subscript_error."""


class CharacterNotInRepertoire(DataException, sqlstate="22021"):
    """22021 character_not_in_repertoire."""


class DatetimeFieldOverflow(DataException, sqlstate="22008"):
    """22008 datetime_field_overflow."""


class DivisionByZero(DataException, sqlstate="22012"):
    """22012 division_by_zero."""


class ErrorInAssignment(DataException, sqlstate="22005"):
    """22005 error_in_assignment."""


class EscapeCharacterConflict(DataException, sqlstate="2200B"):
    """2200B escape_character_conflict."""


class IndicatorOverflow(DataException, sqlstate="22022"):
    """22022 indicator_overflow."""


class IntervalFieldOverflow(DataException, sqlstate="22015"):
    """22015 interval_field_overflow."""


class InvalidArgumentForLogarithm(DataException, sqlstate="2201E"):
    """2201E invalid_argument_for_logarithm."""


class InvalidArgumentForNtileFunction(DataException, sqlstate="22014"):
    """22014 invalid_argument_for_ntile_function."""


class InvalidArgumentForNthValueFunction(DataException, sqlstate="22016"):
    """22016 invalid_argument_for_nth_value_function."""


class InvalidArgumentForPowerFunction(DataException, sqlstate="2201F"):
    """2201F invalid_argument_for_power_function."""


class InvalidArgumentForWidthBucketFunction(DataException, sqlstate="2201G"):
    """2201G invalid_argument_for_width_bucket_function."""


class InvalidCharacterValueForCast(DataException, sqlstate="22018"):
    """22018 invalid_character_value_for_cast."""


class InvalidDatetimeFormat(DataException, sqlstate="22007"):
    """22007 invalid_datetime_format."""


class InvalidEscapeCharacter(DataException, sqlstate="22019"):
    """22019 invalid_escape_character."""


class InvalidEscapeOctet(DataException, sqlstate="2200D"):
    """2200D invalid_escape_octet."""


class InvalidEscapeSequence(DataException, sqlstate="22025"):
    """22025 invalid_escape_sequence."""


class NonstandardUseOfEscapeCharacter(DataException, sqlstate="22P06"):
    """22P06 nonstandard_use_of_escape_character."""


class InvalidIndicatorParameterValue(DataException, sqlstate="22010"):
    """22010 invalid_indicator_parameter_value."""


class InvalidParameterValue(DataException, sqlstate="22023"):
    """22023 invalid_parameter_value."""


class InvalidPrecedingOrFollowingSize(DataException, sqlstate="22013"):
    """22013 invalid_preceding_or_following_size."""


class InvalidRegularExpression(DataException, sqlstate="2201B"):
    """2201B invalid_regular_expression."""


class InvalidRowCountInLimitClause(DataException, sqlstate="2201W"):
    """2201W invalid_row_count_in_limit_clause."""


class InvalidRowCountInResultOffsetClause(DataException, sqlstate="2201X"):
    """2201X invalid_row_count_in_result_offset_clause."""


class InvalidTablesampleArgument(DataException, sqlstate="2202H"):
    """2202H invalid_tablesample_argument."""


class InvalidTablesampleRepeat(DataException, sqlstate="2202G"):
    """2202G invalid_tablesample_repeat."""


class InvalidTimeZoneDisplacementValue(DataException, sqlstate="22009"):
    """22009 invalid_time_zone_displacement_value."""


class InvalidUseOfEscapeCharacter(DataException, sqlstate="2200C"):
    """2200C invalid_use_of_escape_character."""


class MostSpecificTypeMismatch(DataException, sqlstate="2200G"):
    """2200G most_specific_type_mismatch."""


class NullValueNotAllowed(DataException, sqlstate="22004"):
    """22004 null_value_not_allowed."""


class NullValueNoIndicatorParameter(DataException, sqlstate="22002"):
    """22002 null_value_no_indicator_parameter."""


class NumericValueOutOfRange(DataException, sqlstate="22003"):
    """22003 numeric_value_out_of_range."""


class SequenceGeneratorLimitExceeded(DataException, sqlstate="2200H"):
    """2200H sequence_generator_limit_exceeded."""


class StringDataLengthMismatch(DataException, sqlstate="22026"):
    """22026 string_data_length_mismatch."""


class StringDataRightTruncation(DataException, sqlstate="22001"):
    """22001 string_data_right_truncation."""


class SubstringError(DataException, sqlstate="22011"):
    """22011 substring_error."""


class TrimError(DataException, sqlstate="22027"):
    """22027 trim_error."""


class UnterminatedCString(DataException, sqlstate="22024"):
    """22024 unterminated_c_string."""


class ZeroLengthCharacterString(DataException, sqlstate="2200F"):
    """2200F zero_length_character_string."""


class FloatingPointException(DataException, sqlstate="22P01"):
    """22P01 floating_point_exception."""


class InvalidTextRepresentation(DataException, sqlstate="22P02"):
    """22P02 invalid_text_representation."""


class InvalidBinaryRepresentation(DataException, sqlstate="22P03"):
    """22P03 invalid_binary_representation."""


class BadCopyFileFormat(DataException, sqlstate="22P04"):
    """22P04 bad_copy_file_format."""


class UntranslatableCharacter(DataException, sqlstate="22P05"):
    """22P05 untranslatable_character."""


class NotAnXmlDocument(DataException, sqlstate="2200L"):
    """2200L not_an_xml_document."""


class InvalidXmlDocument(DataException, sqlstate="2200M"):
    """2200M invalid_xml_document."""


class InvalidXmlContent(DataException, sqlstate="2200N"):
    """2200N invalid_xml_content."""


class InvalidXmlComment(DataException, sqlstate="2200S"):
    """2200S invalid_xml_comment."""


class InvalidXmlProcessingInstruction(DataException, sqlstate="2200T"):
    """2200T invalid_xml_processing_instruction."""


class DuplicateJsonObjectKeyValue(DataException, sqlstate="22030"):
    """22030 duplicate_json_object_key_value."""


class InvalidArgumentForSqlJsonDatetimeFunction(DataException, sqlstate="22031"):
    """22031 invalid_argument_for_sql_json_datetime_function."""


class InvalidJsonText(DataException, sqlstate="22032"):
    """22032 invalid_json_text."""


class InvalidSqlJsonSubscript(DataException, sqlstate="22033"):
    """22033 invalid_sql_json_subscript."""


class MoreThanOneSqlJsonItem(DataException, sqlstate="22034"):
    """22034 more_than_one_sql_json_item."""


class NoSqlJsonItem(DataException, sqlstate="22035"):
    """22035 no_sql_json_item."""


class NonNumericSqlJsonItem(DataException, sqlstate="22036"):
    """22036 non_numeric_sql_json_item."""


class NonUniqueKeysInAJsonObject(DataException, sqlstate="22037"):
    """22037 non_unique_keys_in_a_json_object."""


class SingletonSqlJsonItemRequired(DataException, sqlstate="22038"):
    """22038 singleton_sql_json_item_required."""


class SqlJsonArrayNotFound(DataException, sqlstate="22039"):
    """22039 sql_json_array_not_found."""


class SqlJsonMemberNotFound(DataException, sqlstate="2203A"):
    """2203A sql_json_member_not_found."""


class SqlJsonNumberNotFound(DataException, sqlstate="2203B"):
    """2203B sql_json_number_not_found."""


class SqlJsonObjectNotFound(DataException, sqlstate="2203C"):
    """2203C sql_json_object_not_found."""


class TooManyJsonArrayElements(DataException, sqlstate="2203D"):
    """2203D too_many_json_array_elements."""


class TooManyJsonObjectMembers(DataException, sqlstate="2203E"):
    """2203E too_many_json_object_members."""


class SqlJsonScalarRequired(DataException, sqlstate="2203F"):
    """2203F sql_json_scalar_required."""


class SqlJsonItemCannotBeCastToTargetType(DataException, sqlstate="2203G"):
    """2203G sql_json_item_cannot_be_cast_to_target_type."""


class IntegrityConstraintViolation(IntegrityError, sqlstate="23000"):
    """Class 23 — Integrity Constraint Violation."""


class RestrictViolation(IntegrityConstraintViolation, sqlstate="23001"):
    """23001 restrict_violation."""


class NotNullViolation(IntegrityConstraintViolation, sqlstate="23502"):
    """23502 not_null_violation."""


class ForeignKeyViolation(IntegrityConstraintViolation, sqlstate="23503"):
    """23503 foreign_key_violation."""


class UniqueViolation(IntegrityConstraintViolation, sqlstate="23505"):
    """23505 unique_violation."""


class CheckViolation(IntegrityConstraintViolation, sqlstate="23514"):
    """23514 check_violation."""


class ExclusionViolation(IntegrityConstraintViolation, sqlstate="23P01"):
    """23P01 exclusion_violation."""


class InvalidCursorState(InternalError, sqlstate="24000"):
    """Class 24 — Invalid Cursor State."""


class InvalidTransactionState(InternalError, sqlstate="25000"):
    """Class 25 — Invalid Transaction State."""


class ActiveSqlTransaction(InvalidTransactionState, sqlstate="25001"):
    """25001 active_sql_transaction."""


class BranchTransactionAlreadyActive(InvalidTransactionState, sqlstate="25002"):
    """25002 branch_transaction_already_active."""


class HeldCursorRequiresSameIsolationLevel(InvalidTransactionState, sqlstate="25008"):
    """25008 held_cursor_requires_same_isolation_level."""


class InappropriateAccessModeForBranchTransaction(InvalidTransactionState, sqlstate="25003"):
    """25003 inappropriate_access_mode_for_branch_transaction."""


class InappropriateIsolationLevelForBranchTransaction(InvalidTransactionState, sqlstate="25004"):
    """25004 inappropriate_isolation_level_for_branch_transaction."""


class NoActiveSqlTransactionForBranchTransaction(InvalidTransactionState, sqlstate="25005"):
    """25005 no_active_sql_transaction_for_branch_transaction."""


class ReadOnlySqlTransaction(InvalidTransactionState, sqlstate="25006"):
    """25006 read_only_sql_transaction."""


class SchemaAndDataStatementMixingNotSupported(InvalidTransactionState, sqlstate="25007"):
    """25007 schema_and_data_statement_mixing_not_supported."""


class NoActiveSqlTransaction(InvalidTransactionState, sqlstate="25P01"):
    """25P01 no_active_sql_transaction."""


class InFailedSqlTransaction(InvalidTransactionState, sqlstate="25P02"):
    """25P02 in_failed_sql_transaction."""


class IdleInTransactionSessionTimeout(InvalidTransactionState, sqlstate="25P03"):
    """25P03 idle_in_transaction_session_timeout."""


class InvalidSqlStatementName(ProgrammingError, sqlstate="26000"):
    """Class 26 — Invalid SQL Statement Name."""


class TriggeredDataChangeViolation(IntegrityError, sqlstate="27000"):
    """Class 27 — Triggered Data Change Violation."""


class InvalidAuthorizationSpecification(OperationalError, sqlstate="28000"):
    """Class 28 — Invalid Authorization Specification."""


class InvalidPassword(InvalidAuthorizationSpecification, sqlstate="28P01"):
    """28P01 invalid_password."""


class DependentPrivilegeDescriptorsStillExist(ProgrammingError, sqlstate="2B000"):
    """Class 2B — Dependent Privilege Descriptors Still Exist."""


class DependentObjectsStillExist(DependentPrivilegeDescriptorsStillExist, sqlstate="2BP01"):
    """2BP01 dependent_objects_still_exist."""


class InvalidTransactionTermination(InternalError, sqlstate="2D000"):
    """Class 2D — Invalid Transaction Termination."""


class SqlRoutineException(InternalError, sqlstate="2F000"):
    """Class 2F — SQL Routine Exception."""


class FunctionExecutedNoReturnStatement(SqlRoutineException, sqlstate="2F005"):
    """2F005 function_executed_no_return_statement."""


class ModifyingSqlDataNotPermitted(SqlRoutineException, sqlstate="2F002"):
    """2F002 modifying_sql_data_not_permitted."""


class ProhibitedSqlStatementAttempted(SqlRoutineException, sqlstate="2F003"):
    """2F003 prohibited_sql_statement_attempted."""


class ReadingSqlDataNotPermitted(SqlRoutineException, sqlstate="2F004"):
    """2F004 reading_sql_data_not_permitted."""


class InvalidCursorName(ProgrammingError, sqlstate="34000"):
    """Class 34 — Invalid Cursor Name."""


class ExternalRoutineException(InternalError, sqlstate="38000"):
    """Class 38 — External Routine Exception."""


class ContainingSqlNotPermitted(ExternalRoutineException, sqlstate="38001"):
    """38001 containing_sql_not_permitted."""


class ExternalRoutineModifyingSqlDataNotPermitted(ExternalRoutineException, sqlstate="38002"):
    """38002 modifying_sql_data_not_permitted."""


class ExternalRoutineProhibitedSqlStatementAttempted(ExternalRoutineException, sqlstate="38003"):
    """38003 prohibited_sql_statement_attempted."""


class ExternalRoutineReadingSqlDataNotPermitted(ExternalRoutineException, sqlstate="38004"):
    """38004 reading_sql_data_not_permitted."""


class ExternalRoutineInvocationException(InternalError, sqlstate="39000"):
    """Class 39 — External Routine Invocation Exception."""


class InvalidSqlstateReturned(ExternalRoutineInvocationException, sqlstate="39001"):
    """39001 invalid_sqlstate_returned."""


class ExternalRoutineInvocationNullValueNotAllowed(
    ExternalRoutineInvocationException, sqlstate="39004"
):
    """39004 null_value_not_allowed."""


class TriggerProtocolViolated(ExternalRoutineInvocationException, sqlstate="39P01"):
    """39P01 trigger_protocol_violated."""


class SrfProtocolViolated(ExternalRoutineInvocationException, sqlstate="39P02"):
    """39P02 srf_protocol_violated."""


class EventTriggerProtocolViolated(ExternalRoutineInvocationException, sqlstate="39P03"):
    """39P03 event_trigger_protocol_violated."""


class SavepointException(InternalError, sqlstate="3B000"):
    """Class 3B — Savepoint Exception."""


class InvalidSavepointSpecification(SavepointException, sqlstate="3B001"):
    """3B001 invalid_savepoint_specification."""


class InvalidCatalogName(ProgrammingError, sqlstate="3D000"):
    """Class 3D — Invalid Catalog Name."""


class InvalidSchemaName(ProgrammingError, sqlstate="3F000"):
    """Class 3F — Invalid Schema Name."""


class TransactionRollback(OperationalError, sqlstate="40000"):
    """Class 40 — Transaction Rollback."""


class TransactionIntegrityConstraintViolation(TransactionRollback, sqlstate="40002"):
    """40002 transaction_integrity_constraint_violation."""


class SerializationFailure(TransactionRollback, sqlstate="40001"):
    """40001 serialization_failure."""


class StatementCompletionUnknown(TransactionRollback, sqlstate="40003"):
    """40003 statement_completion_unknown."""


class DeadlockDetected(TransactionRollback, sqlstate="40P01"):
    """40P01 deadlock_detected."""


class SyntaxErrorOrAccessRuleViolation(ProgrammingError, sqlstate="42000"):
    """Class 42 — Syntax Error or Access Rule Violation."""


class SqlSyntaxError(SyntaxErrorOrAccessRuleViolation, sqlstate="42601"):
    """42601 syntax_error."""


class InsufficientPrivilege(SyntaxErrorOrAccessRuleViolation, sqlstate="42501"):
    """42501 insufficient_privilege."""


class CannotCoerce(SyntaxErrorOrAccessRuleViolation, sqlstate="42846"):
    """42846 cannot_coerce."""


class GroupingError(SyntaxErrorOrAccessRuleViolation, sqlstate="42803"):
    """42803 grouping_error."""


class WindowingError(SyntaxErrorOrAccessRuleViolation, sqlstate="42P20"):
    """42P20 windowing_error."""


class InvalidRecursion(SyntaxErrorOrAccessRuleViolation, sqlstate="42P19"):
    """42P19 invalid_recursion."""


class InvalidForeignKey(SyntaxErrorOrAccessRuleViolation, sqlstate="42830"):
    """42830 invalid_foreign_key."""


class InvalidName(SyntaxErrorOrAccessRuleViolation, sqlstate="42602"):
    """42602 invalid_name."""


class NameTooLong(SyntaxErrorOrAccessRuleViolation, sqlstate="42622"):
    """42622 name_too_long."""


class ReservedName(SyntaxErrorOrAccessRuleViolation, sqlstate="42939"):
    """42939 reserved_name."""


class DatatypeMismatch(SyntaxErrorOrAccessRuleViolation, sqlstate="42804"):
    """42804 datatype_mismatch."""


class IndeterminateDatatype(SyntaxErrorOrAccessRuleViolation, sqlstate="42P18"):
    """42P18 indeterminate_datatype."""


class CollationMismatch(SyntaxErrorOrAccessRuleViolation, sqlstate="42P21"):
    """42P21 collation_mismatch."""


class IndeterminateCollation(SyntaxErrorOrAccessRuleViolation, sqlstate="42P22"):
    """42P22 indeterminate_collation."""


class WrongObjectType(SyntaxErrorOrAccessRuleViolation, sqlstate="42809"):
    """42809 wrong_object_type."""


class GeneratedAlways(SyntaxErrorOrAccessRuleViolation, sqlstate="428C9"):
    """428C9 generated_always."""


class UndefinedColumn(SyntaxErrorOrAccessRuleViolation, sqlstate="42703"):
    """42703 undefined_column."""


class UndefinedFunction(SyntaxErrorOrAccessRuleViolation, sqlstate="42883"):
    """42883 undefined_function."""


class UndefinedTable(SyntaxErrorOrAccessRuleViolation, sqlstate="42P01"):
    """42P01 undefined_table."""


class UndefinedParameter(SyntaxErrorOrAccessRuleViolation, sqlstate="42P02"):
    """42P02 undefined_parameter."""


class UndefinedObject(SyntaxErrorOrAccessRuleViolation, sqlstate="42704"):
    """42704 undefined_object."""


class DuplicateColumn(SyntaxErrorOrAccessRuleViolation, sqlstate="42701"):
    """42701 duplicate_column."""


class DuplicateCursor(SyntaxErrorOrAccessRuleViolation, sqlstate="42P03"):
    """42P03 duplicate_cursor."""


class DuplicateDatabase(SyntaxErrorOrAccessRuleViolation, sqlstate="42P04"):
    """42P04 duplicate_database."""


class DuplicateFunction(SyntaxErrorOrAccessRuleViolation, sqlstate="42723"):
    """42723 duplicate_function."""


class DuplicatePreparedStatement(SyntaxErrorOrAccessRuleViolation, sqlstate="42P05"):
    """42P05 duplicate_prepared_statement."""


class DuplicateSchema(SyntaxErrorOrAccessRuleViolation, sqlstate="42P06"):
    """42P06 duplicate_schema."""


class DuplicateTable(SyntaxErrorOrAccessRuleViolation, sqlstate="42P07"):
    """42P07 duplicate_table."""


class DuplicateAlias(SyntaxErrorOrAccessRuleViolation, sqlstate="42712"):
    """42712 duplicate_alias."""


class DuplicateObject(SyntaxErrorOrAccessRuleViolation, sqlstate="42710"):
    """42710 duplicate_object."""


class AmbiguousColumn(SyntaxErrorOrAccessRuleViolation, sqlstate="42702"):
    """42702 ambiguous_column."""


class AmbiguousFunction(SyntaxErrorOrAccessRuleViolation, sqlstate="42725"):
    """42725 ambiguous_function."""


class AmbiguousParameter(SyntaxErrorOrAccessRuleViolation, sqlstate="42P08"):
    """42P08 ambiguous_parameter."""


class AmbiguousAlias(SyntaxErrorOrAccessRuleViolation, sqlstate="42P09"):
    """42P09 ambiguous_alias."""


class InvalidColumnReference(SyntaxErrorOrAccessRuleViolation, sqlstate="42P10"):
    """42P10 invalid_column_reference."""


class InvalidColumnDefinition(SyntaxErrorOrAccessRuleViolation, sqlstate="42611"):
    """42611 invalid_column_definition."""


class InvalidCursorDefinition(SyntaxErrorOrAccessRuleViolation, sqlstate="42P11"):
    """42P11 invalid_cursor_definition."""


class InvalidDatabaseDefinition(SyntaxErrorOrAccessRuleViolation, sqlstate="42P12"):
    """42P12 invalid_database_definition."""


class InvalidFunctionDefinition(SyntaxErrorOrAccessRuleViolation, sqlstate="42P13"):
    """42P13 invalid_function_definition."""


class InvalidPreparedStatementDefinition(SyntaxErrorOrAccessRuleViolation, sqlstate="42P14"):
    """42P14 invalid_prepared_statement_definition."""


class InvalidSchemaDefinition(SyntaxErrorOrAccessRuleViolation, sqlstate="42P15"):
    """42P15 invalid_schema_definition."""


class InvalidTableDefinition(SyntaxErrorOrAccessRuleViolation, sqlstate="42P16"):
    """42P16 invalid_table_definition."""


class InvalidObjectDefinition(SyntaxErrorOrAccessRuleViolation, sqlstate="42P17"):
    """42P17 invalid_object_definition."""


class WithCheckOptionViolation(IntegrityError, sqlstate="44000"):
    """Class 44 — WITH CHECK OPTION Violation."""


class InsufficientResources(OperationalError, sqlstate="53000"):
    """Class 53 — Insufficient Resources."""


class DiskFull(InsufficientResources, sqlstate="53100"):
    """53100 disk_full."""


class OutOfMemory(InsufficientResources, sqlstate="53200"):
    """53200 out_of_memory."""


class TooManyConnections(InsufficientResources, sqlstate="53300"):
    """53300 too_many_connections."""


class ConfigurationLimitExceeded(InsufficientResources, sqlstate="53400"):
    """53400 configuration_limit_exceeded."""


class ProgramLimitExceeded(OperationalError, sqlstate="54000"):
    """Class 54 — Program Limit Exceeded."""


class StatementTooComplex(ProgramLimitExceeded, sqlstate="54001"):
    """54001 statement_too_complex."""


class TooManyColumns(ProgramLimitExceeded, sqlstate="54011"):
    """54011 too_many_columns."""


class TooManyArguments(ProgramLimitExceeded, sqlstate="54023"):
    """54023 too_many_arguments."""


class ObjectNotInPrerequisiteState(OperationalError, sqlstate="55000"):
    """Class 55 — Object Not In Prerequisite State."""


class ObjectInUse(ObjectNotInPrerequisiteState, sqlstate="55006"):
    """55006 object_in_use."""


class CantChangeRuntimeParam(ObjectNotInPrerequisiteState, sqlstate="55P02"):
    """55P02 cant_change_runtime_param."""


class LockNotAvailable(ObjectNotInPrerequisiteState, sqlstate="55P03"):
    """55P03 lock_not_available."""


class UnsafeNewEnumValueUsage(ObjectNotInPrerequisiteState, sqlstate="55P04"):
    """55P04 unsafe_new_enum_value_usage."""


class OperatorIntervention(OperationalError, sqlstate="57000"):
    """Class 57 — Operator Intervention."""


class QueryCanceled(OperatorIntervention, sqlstate="57014"):
    """57014 query_canceled."""


class AdminShutdown(OperatorIntervention, sqlstate="57P01"):
    """57P01 admin_shutdown."""


class CrashShutdown(OperatorIntervention, sqlstate="57P02"):
    """57P02 crash_shutdown."""


class CannotConnectNow(OperatorIntervention, sqlstate="57P03"):
    """57P03 cannot_connect_now."""


class DatabaseDropped(OperatorIntervention, sqlstate="57P04"):
    """57P04 database_dropped."""


class IdleSessionTimeout(OperatorIntervention, sqlstate="57P05"):
    """57P05 idle_session_timeout."""


class SqlSystemError(OperationalError, sqlstate="58000"):
    """Class 58 — System Error (errors external to PostgreSQL itself)."""


class IoError(SqlSystemError, sqlstate="58030"):
    """58030 io_error."""


class UndefinedFile(SqlSystemError, sqlstate="58P01"):
    """58P01 undefined_file."""


class DuplicateFile(SqlSystemError, sqlstate="58P02"):
    """58P02 duplicate_file."""


class SnapshotTooOld(OperationalError, sqlstate="72000"):
    """Class 72 — Snapshot Failure."""


class ConfigFileError(OperationalError, sqlstate="F0000"):
    """Class F0 — Configuration File Error."""


class LockFileExists(ConfigFileError, sqlstate="F0001"):
    """F0001 lock_file_exists."""


class FdwError(OperationalError, sqlstate="HV000"):
    """Class HV — Foreign Data Wrapper Error (SQL/MED)."""


class FdwColumnNameNotFound(FdwError, sqlstate="HV005"):
    """HV005 fdw_column_name_not_found."""


class FdwDynamicParameterValueNeeded(FdwError, sqlstate="HV002"):
    """HV002 fdw_dynamic_parameter_value_needed."""


class FdwFunctionSequenceError(FdwError, sqlstate="HV010"):
    """HV010 fdw_function_sequence_error."""


class FdwInconsistentDescriptorInformation(FdwError, sqlstate="HV021"):
    """HV021 fdw_inconsistent_descriptor_information."""


class FdwInvalidAttributeValue(FdwError, sqlstate="HV024"):
    """HV024 fdw_invalid_attribute_value."""


class FdwInvalidColumnName(FdwError, sqlstate="HV007"):
    """HV007 fdw_invalid_column_name."""


class FdwInvalidColumnNumber(FdwError, sqlstate="HV008"):
    """HV008 fdw_invalid_column_number."""


class FdwInvalidDataType(FdwError, sqlstate="HV004"):
    """HV004 fdw_invalid_data_type."""


class FdwInvalidDataTypeDescriptors(FdwError, sqlstate="HV006"):
    """HV006 fdw_invalid_data_type_descriptors."""


class FdwInvalidDescriptorFieldIdentifier(FdwError, sqlstate="HV091"):
    """HV091 fdw_invalid_descriptor_field_identifier."""


class FdwInvalidHandle(FdwError, sqlstate="HV00B"):
    """HV00B fdw_invalid_handle."""


class FdwInvalidOptionIndex(FdwError, sqlstate="HV00C"):
    """HV00C fdw_invalid_option_index."""


class FdwInvalidOptionName(FdwError, sqlstate="HV00D"):
    """HV00D fdw_invalid_option_name."""


class FdwInvalidStringLengthOrBufferLength(FdwError, sqlstate="HV090"):
    """HV090 fdw_invalid_string_length_or_buffer_length."""


class FdwInvalidStringFormat(FdwError, sqlstate="HV00A"):
    """HV00A fdw_invalid_string_format."""


class FdwInvalidUseOfNullPointer(FdwError, sqlstate="HV009"):
    """HV009 fdw_invalid_use_of_null_pointer."""


class FdwTooManyHandles(FdwError, sqlstate="HV014"):
    """HV014 fdw_too_many_handles."""


class FdwOutOfMemory(FdwError, sqlstate="HV001"):
    """HV001 fdw_out_of_memory."""


class FdwNoSchemas(FdwError, sqlstate="HV00P"):
    """HV00P fdw_no_schemas."""


class FdwOptionNameNotFound(FdwError, sqlstate="HV00J"):
    """HV00J fdw_option_name_not_found."""


class FdwReplyHandle(FdwError, sqlstate="HV00K"):
    """HV00K fdw_reply_handle."""


class FdwSchemaNotFound(FdwError, sqlstate="HV00Q"):
    """HV00Q fdw_schema_not_found."""


class FdwTableNotFound(FdwError, sqlstate="HV00R"):
    """HV00R fdw_table_not_found."""


class FdwUnableToCreateExecution(FdwError, sqlstate="HV00L"):
    """HV00L fdw_unable_to_create_execution."""


class FdwUnableToCreateReply(FdwError, sqlstate="HV00M"):
    """HV00M fdw_unable_to_create_reply."""


class FdwUnableToEstablishConnection(FdwError, sqlstate="HV00N"):
    """HV00N fdw_unable_to_establish_connection."""


class PlpgsqlError(InternalError, sqlstate="P0000"):
    """Class P0 — PL/pgSQL Error."""


class RaiseException(PlpgsqlError, sqlstate="P0001"):
    """P0001 raise_exception."""


class NoDataFound(PlpgsqlError, sqlstate="P0002"):
    """P0002 no_data_found."""


class TooManyRows(PlpgsqlError, sqlstate="P0003"):
    """P0003 too_many_rows."""


class AssertFailure(PlpgsqlError, sqlstate="P0004"):
    """P0004 assert_failure."""


class SqlInternalError(InternalError, sqlstate="XX000"):
    """Class XX — Internal Error."""


class DataCorrupted(SqlInternalError, sqlstate="XX001"):
    """XX001 data_corrupted."""


class IndexCorrupted(SqlInternalError, sqlstate="XX002"):
    """XX002 index_corrupted."""


#: SQLSTATE -> PL/pgSQL condition name, for every code above.
CONDITION_NAMES: Final[dict[str, str]] = {
    "00000": "successful_completion",
    "01000": "warning",
    "0100C": "dynamic_result_sets_returned",
    "01008": "implicit_zero_bit_padding",
    "01003": "null_value_eliminated_in_set_function",
    "01007": "privilege_not_granted",
    "01006": "privilege_not_revoked",
    "01004": "string_data_right_truncation",
    "01P01": "deprecated_feature",
    "02000": "no_data",
    "02001": "no_additional_dynamic_result_sets_returned",
    "03000": "sql_statement_not_yet_complete",
    "08000": "connection_exception",
    "08003": "connection_does_not_exist",
    "08006": "connection_failure",
    "08001": "sqlclient_unable_to_establish_sqlconnection",
    "08004": "sqlserver_rejected_establishment_of_sqlconnection",
    "08007": "transaction_resolution_unknown",
    "08P01": "protocol_violation",
    "09000": "triggered_action_exception",
    "0A000": "feature_not_supported",
    "0B000": "invalid_transaction_initiation",
    "0F000": "locator_exception",
    "0F001": "invalid_locator_specification",
    "0L000": "invalid_grantor",
    "0LP01": "invalid_grant_operation",
    "0P000": "invalid_role_specification",
    "0Z000": "diagnostics_exception",
    "0Z002": "stacked_diagnostics_accessed_without_active_handler",
    "20000": "case_not_found",
    "21000": "cardinality_violation",
    "22000": "data_exception",
    "2202E": "array_subscript_error",
    "22021": "character_not_in_repertoire",
    "22008": "datetime_field_overflow",
    "22012": "division_by_zero",
    "22005": "error_in_assignment",
    "2200B": "escape_character_conflict",
    "22022": "indicator_overflow",
    "22015": "interval_field_overflow",
    "2201E": "invalid_argument_for_logarithm",
    "22014": "invalid_argument_for_ntile_function",
    "22016": "invalid_argument_for_nth_value_function",
    "2201F": "invalid_argument_for_power_function",
    "2201G": "invalid_argument_for_width_bucket_function",
    "22018": "invalid_character_value_for_cast",
    "22007": "invalid_datetime_format",
    "22019": "invalid_escape_character",
    "2200D": "invalid_escape_octet",
    "22025": "invalid_escape_sequence",
    "22P06": "nonstandard_use_of_escape_character",
    "22010": "invalid_indicator_parameter_value",
    "22023": "invalid_parameter_value",
    "22013": "invalid_preceding_or_following_size",
    "2201B": "invalid_regular_expression",
    "2201W": "invalid_row_count_in_limit_clause",
    "2201X": "invalid_row_count_in_result_offset_clause",
    "2202H": "invalid_tablesample_argument",
    "2202G": "invalid_tablesample_repeat",
    "22009": "invalid_time_zone_displacement_value",
    "2200C": "invalid_use_of_escape_character",
    "2200G": "most_specific_type_mismatch",
    "22004": "null_value_not_allowed",
    "22002": "null_value_no_indicator_parameter",
    "22003": "numeric_value_out_of_range",
    "2200H": "sequence_generator_limit_exceeded",
    "22026": "string_data_length_mismatch",
    "22001": "string_data_right_truncation",
    "22011": "substring_error",
    "22027": "trim_error",
    "22024": "unterminated_c_string",
    "2200F": "zero_length_character_string",
    "22P01": "floating_point_exception",
    "22P02": "invalid_text_representation",
    "22P03": "invalid_binary_representation",
    "22P04": "bad_copy_file_format",
    "22P05": "untranslatable_character",
    "2200L": "not_an_xml_document",
    "2200M": "invalid_xml_document",
    "2200N": "invalid_xml_content",
    "2200S": "invalid_xml_comment",
    "2200T": "invalid_xml_processing_instruction",
    "22030": "duplicate_json_object_key_value",
    "22031": "invalid_argument_for_sql_json_datetime_function",
    "22032": "invalid_json_text",
    "22033": "invalid_sql_json_subscript",
    "22034": "more_than_one_sql_json_item",
    "22035": "no_sql_json_item",
    "22036": "non_numeric_sql_json_item",
    "22037": "non_unique_keys_in_a_json_object",
    "22038": "singleton_sql_json_item_required",
    "22039": "sql_json_array_not_found",
    "2203A": "sql_json_member_not_found",
    "2203B": "sql_json_number_not_found",
    "2203C": "sql_json_object_not_found",
    "2203D": "too_many_json_array_elements",
    "2203E": "too_many_json_object_members",
    "2203F": "sql_json_scalar_required",
    "2203G": "sql_json_item_cannot_be_cast_to_target_type",
    "23000": "integrity_constraint_violation",
    "23001": "restrict_violation",
    "23502": "not_null_violation",
    "23503": "foreign_key_violation",
    "23505": "unique_violation",
    "23514": "check_violation",
    "23P01": "exclusion_violation",
    "24000": "invalid_cursor_state",
    "25000": "invalid_transaction_state",
    "25001": "active_sql_transaction",
    "25002": "branch_transaction_already_active",
    "25008": "held_cursor_requires_same_isolation_level",
    "25003": "inappropriate_access_mode_for_branch_transaction",
    "25004": "inappropriate_isolation_level_for_branch_transaction",
    "25005": "no_active_sql_transaction_for_branch_transaction",
    "25006": "read_only_sql_transaction",
    "25007": "schema_and_data_statement_mixing_not_supported",
    "25P01": "no_active_sql_transaction",
    "25P02": "in_failed_sql_transaction",
    "25P03": "idle_in_transaction_session_timeout",
    "26000": "invalid_sql_statement_name",
    "27000": "triggered_data_change_violation",
    "28000": "invalid_authorization_specification",
    "28P01": "invalid_password",
    "2B000": "dependent_privilege_descriptors_still_exist",
    "2BP01": "dependent_objects_still_exist",
    "2D000": "invalid_transaction_termination",
    "2F000": "sql_routine_exception",
    "2F005": "function_executed_no_return_statement",
    "2F002": "modifying_sql_data_not_permitted",
    "2F003": "prohibited_sql_statement_attempted",
    "2F004": "reading_sql_data_not_permitted",
    "34000": "invalid_cursor_name",
    "38000": "external_routine_exception",
    "38001": "containing_sql_not_permitted",
    "38002": "modifying_sql_data_not_permitted",
    "38003": "prohibited_sql_statement_attempted",
    "38004": "reading_sql_data_not_permitted",
    "39000": "external_routine_invocation_exception",
    "39001": "invalid_sqlstate_returned",
    "39004": "null_value_not_allowed",
    "39P01": "trigger_protocol_violated",
    "39P02": "srf_protocol_violated",
    "39P03": "event_trigger_protocol_violated",
    "3B000": "savepoint_exception",
    "3B001": "invalid_savepoint_specification",
    "3D000": "invalid_catalog_name",
    "3F000": "invalid_schema_name",
    "40000": "transaction_rollback",
    "40002": "transaction_integrity_constraint_violation",
    "40001": "serialization_failure",
    "40003": "statement_completion_unknown",
    "40P01": "deadlock_detected",
    "42000": "syntax_error_or_access_rule_violation",
    "42601": "syntax_error",
    "42501": "insufficient_privilege",
    "42846": "cannot_coerce",
    "42803": "grouping_error",
    "42P20": "windowing_error",
    "42P19": "invalid_recursion",
    "42830": "invalid_foreign_key",
    "42602": "invalid_name",
    "42622": "name_too_long",
    "42939": "reserved_name",
    "42804": "datatype_mismatch",
    "42P18": "indeterminate_datatype",
    "42P21": "collation_mismatch",
    "42P22": "indeterminate_collation",
    "42809": "wrong_object_type",
    "428C9": "generated_always",
    "42703": "undefined_column",
    "42883": "undefined_function",
    "42P01": "undefined_table",
    "42P02": "undefined_parameter",
    "42704": "undefined_object",
    "42701": "duplicate_column",
    "42P03": "duplicate_cursor",
    "42P04": "duplicate_database",
    "42723": "duplicate_function",
    "42P05": "duplicate_prepared_statement",
    "42P06": "duplicate_schema",
    "42P07": "duplicate_table",
    "42712": "duplicate_alias",
    "42710": "duplicate_object",
    "42702": "ambiguous_column",
    "42725": "ambiguous_function",
    "42P08": "ambiguous_parameter",
    "42P09": "ambiguous_alias",
    "42P10": "invalid_column_reference",
    "42611": "invalid_column_definition",
    "42P11": "invalid_cursor_definition",
    "42P12": "invalid_database_definition",
    "42P13": "invalid_function_definition",
    "42P14": "invalid_prepared_statement_definition",
    "42P15": "invalid_schema_definition",
    "42P16": "invalid_table_definition",
    "42P17": "invalid_object_definition",
    "44000": "with_check_option_violation",
    "53000": "insufficient_resources",
    "53100": "disk_full",
    "53200": "out_of_memory",
    "53300": "too_many_connections",
    "53400": "configuration_limit_exceeded",
    "54000": "program_limit_exceeded",
    "54001": "statement_too_complex",
    "54011": "too_many_columns",
    "54023": "too_many_arguments",
    "55000": "object_not_in_prerequisite_state",
    "55006": "object_in_use",
    "55P02": "cant_change_runtime_param",
    "55P03": "lock_not_available",
    "55P04": "unsafe_new_enum_value_usage",
    "57000": "operator_intervention",
    "57014": "query_canceled",
    "57P01": "admin_shutdown",
    "57P02": "crash_shutdown",
    "57P03": "cannot_connect_now",
    "57P04": "database_dropped",
    "57P05": "idle_session_timeout",
    "58000": "system_error",
    "58030": "io_error",
    "58P01": "undefined_file",
    "58P02": "duplicate_file",
    "72000": "snapshot_too_old",
    "F0000": "config_file_error",
    "F0001": "lock_file_exists",
    "HV000": "fdw_error",
    "HV005": "fdw_column_name_not_found",
    "HV002": "fdw_dynamic_parameter_value_needed",
    "HV010": "fdw_function_sequence_error",
    "HV021": "fdw_inconsistent_descriptor_information",
    "HV024": "fdw_invalid_attribute_value",
    "HV007": "fdw_invalid_column_name",
    "HV008": "fdw_invalid_column_number",
    "HV004": "fdw_invalid_data_type",
    "HV006": "fdw_invalid_data_type_descriptors",
    "HV091": "fdw_invalid_descriptor_field_identifier",
    "HV00B": "fdw_invalid_handle",
    "HV00C": "fdw_invalid_option_index",
    "HV00D": "fdw_invalid_option_name",
    "HV090": "fdw_invalid_string_length_or_buffer_length",
    "HV00A": "fdw_invalid_string_format",
    "HV009": "fdw_invalid_use_of_null_pointer",
    "HV014": "fdw_too_many_handles",
    "HV001": "fdw_out_of_memory",
    "HV00P": "fdw_no_schemas",
    "HV00J": "fdw_option_name_not_found",
    "HV00K": "fdw_reply_handle",
    "HV00Q": "fdw_schema_not_found",
    "HV00R": "fdw_table_not_found",
    "HV00L": "fdw_unable_to_create_execution",
    "HV00M": "fdw_unable_to_create_reply",
    "HV00N": "fdw_unable_to_establish_connection",
    "P0000": "plpgsql_error",
    "P0001": "raise_exception",
    "P0002": "no_data_found",
    "P0003": "too_many_rows",
    "P0004": "assert_failure",
    "XX000": "internal_error",
    "XX001": "data_corrupted",
    "XX002": "index_corrupted",
}


def error_class(sqlstate: str) -> type[PostgresError]:
    """The class `PostgresError.from_fields` uses for ``sqlstate`` (code, else class, else base)."""
    by_code = PostgresError._by_sqlstate
    return by_code.get(sqlstate) or PostgresError._by_class.get(sqlstate[:2]) or PostgresError


__all__ = [
    "ActiveSqlTransaction",
    "AdminShutdown",
    "AmbiguousAlias",
    "AmbiguousColumn",
    "AmbiguousFunction",
    "AmbiguousParameter",
    "ArraySubscriptError",
    "AssertFailure",
    "BadCopyFileFormat",
    "BranchTransactionAlreadyActive",
    "CONDITION_NAMES",
    "CannotCoerce",
    "CannotConnectNow",
    "CantChangeRuntimeParam",
    "CardinalityViolation",
    "CaseNotFound",
    "CharacterNotInRepertoire",
    "CheckViolation",
    "CollationMismatch",
    "ConfigFileError",
    "ConfigurationLimitExceeded",
    "ConnectionDoesNotExist",
    "ConnectionException",
    "ConnectionFailure",
    "ContainingSqlNotPermitted",
    "CrashShutdown",
    "DataCorrupted",
    "DataError",
    "DataException",
    "DatabaseDropped",
    "DatabaseError",
    "DatatypeMismatch",
    "DatetimeFieldOverflow",
    "DeadlockDetected",
    "DependentObjectsStillExist",
    "DependentPrivilegeDescriptorsStillExist",
    "DeprecatedFeatureWarning",
    "DiagnosticsException",
    "DiskFull",
    "DivisionByZero",
    "DuplicateAlias",
    "DuplicateColumn",
    "DuplicateCursor",
    "DuplicateDatabase",
    "DuplicateFile",
    "DuplicateFunction",
    "DuplicateJsonObjectKeyValue",
    "DuplicateObject",
    "DuplicatePreparedStatement",
    "DuplicateSchema",
    "DuplicateTable",
    "DynamicResultSetsReturnedWarning",
    "ErrorInAssignment",
    "EscapeCharacterConflict",
    "EventTriggerProtocolViolated",
    "ExclusionViolation",
    "ExternalRoutineException",
    "ExternalRoutineInvocationException",
    "ExternalRoutineInvocationNullValueNotAllowed",
    "ExternalRoutineModifyingSqlDataNotPermitted",
    "ExternalRoutineProhibitedSqlStatementAttempted",
    "ExternalRoutineReadingSqlDataNotPermitted",
    "FdwColumnNameNotFound",
    "FdwDynamicParameterValueNeeded",
    "FdwError",
    "FdwFunctionSequenceError",
    "FdwInconsistentDescriptorInformation",
    "FdwInvalidAttributeValue",
    "FdwInvalidColumnName",
    "FdwInvalidColumnNumber",
    "FdwInvalidDataType",
    "FdwInvalidDataTypeDescriptors",
    "FdwInvalidDescriptorFieldIdentifier",
    "FdwInvalidHandle",
    "FdwInvalidOptionIndex",
    "FdwInvalidOptionName",
    "FdwInvalidStringFormat",
    "FdwInvalidStringLengthOrBufferLength",
    "FdwInvalidUseOfNullPointer",
    "FdwNoSchemas",
    "FdwOptionNameNotFound",
    "FdwOutOfMemory",
    "FdwReplyHandle",
    "FdwSchemaNotFound",
    "FdwTableNotFound",
    "FdwTooManyHandles",
    "FdwUnableToCreateExecution",
    "FdwUnableToCreateReply",
    "FdwUnableToEstablishConnection",
    "FeatureNotSupported",
    "FloatingPointException",
    "ForeignKeyViolation",
    "FunctionExecutedNoReturnStatement",
    "GeneratedAlways",
    "GroupingError",
    "HeldCursorRequiresSameIsolationLevel",
    "IdleInTransactionSessionTimeout",
    "IdleSessionTimeout",
    "ImplicitZeroBitPaddingWarning",
    "InFailedSqlTransaction",
    "InappropriateAccessModeForBranchTransaction",
    "InappropriateIsolationLevelForBranchTransaction",
    "IndeterminateCollation",
    "IndeterminateDatatype",
    "IndexCorrupted",
    "IndicatorOverflow",
    "InsufficientPrivilege",
    "InsufficientResources",
    "IntegrityConstraintViolation",
    "IntegrityError",
    "InternalError",
    "IntervalFieldOverflow",
    "InvalidArgumentForLogarithm",
    "InvalidArgumentForNthValueFunction",
    "InvalidArgumentForNtileFunction",
    "InvalidArgumentForPowerFunction",
    "InvalidArgumentForSqlJsonDatetimeFunction",
    "InvalidArgumentForWidthBucketFunction",
    "InvalidAuthorizationSpecification",
    "InvalidBinaryRepresentation",
    "InvalidCatalogName",
    "InvalidCharacterValueForCast",
    "InvalidColumnDefinition",
    "InvalidColumnReference",
    "InvalidCursorDefinition",
    "InvalidCursorName",
    "InvalidCursorState",
    "InvalidDatabaseDefinition",
    "InvalidDatetimeFormat",
    "InvalidEscapeCharacter",
    "InvalidEscapeOctet",
    "InvalidEscapeSequence",
    "InvalidForeignKey",
    "InvalidFunctionDefinition",
    "InvalidGrantOperation",
    "InvalidGrantor",
    "InvalidIndicatorParameterValue",
    "InvalidJsonText",
    "InvalidLocatorSpecification",
    "InvalidName",
    "InvalidObjectDefinition",
    "InvalidParameterValue",
    "InvalidPassword",
    "InvalidPrecedingOrFollowingSize",
    "InvalidPreparedStatementDefinition",
    "InvalidRecursion",
    "InvalidRegularExpression",
    "InvalidRoleSpecification",
    "InvalidRowCountInLimitClause",
    "InvalidRowCountInResultOffsetClause",
    "InvalidSavepointSpecification",
    "InvalidSchemaDefinition",
    "InvalidSchemaName",
    "InvalidSqlJsonSubscript",
    "InvalidSqlStatementName",
    "InvalidSqlstateReturned",
    "InvalidTableDefinition",
    "InvalidTablesampleArgument",
    "InvalidTablesampleRepeat",
    "InvalidTextRepresentation",
    "InvalidTimeZoneDisplacementValue",
    "InvalidTransactionInitiation",
    "InvalidTransactionState",
    "InvalidTransactionTermination",
    "InvalidUseOfEscapeCharacter",
    "InvalidXmlComment",
    "InvalidXmlContent",
    "InvalidXmlDocument",
    "InvalidXmlProcessingInstruction",
    "IoError",
    "LocatorException",
    "LockFileExists",
    "LockNotAvailable",
    "ModifyingSqlDataNotPermitted",
    "MoreThanOneSqlJsonItem",
    "MostSpecificTypeMismatch",
    "NameTooLong",
    "NoActiveSqlTransaction",
    "NoActiveSqlTransactionForBranchTransaction",
    "NoAdditionalDynamicResultSetsReturned",
    "NoData",
    "NoDataFound",
    "NoSqlJsonItem",
    "NonNumericSqlJsonItem",
    "NonUniqueKeysInAJsonObject",
    "NonstandardUseOfEscapeCharacter",
    "NotAnXmlDocument",
    "NotNullViolation",
    "NotSupportedError",
    "NullValueEliminatedInSetFunctionWarning",
    "NullValueNoIndicatorParameter",
    "NullValueNotAllowed",
    "NumericValueOutOfRange",
    "ObjectInUse",
    "ObjectNotInPrerequisiteState",
    "OperationalError",
    "OperatorIntervention",
    "OutOfMemory",
    "PlpgsqlError",
    "PrivilegeNotGrantedWarning",
    "PrivilegeNotRevokedWarning",
    "ProgramLimitExceeded",
    "ProgrammingError",
    "ProhibitedSqlStatementAttempted",
    "ProtocolViolation",
    "QueryCanceled",
    "RaiseException",
    "ReadOnlySqlTransaction",
    "ReadingSqlDataNotPermitted",
    "ReservedName",
    "RestrictViolation",
    "SavepointException",
    "SchemaAndDataStatementMixingNotSupported",
    "SequenceGeneratorLimitExceeded",
    "SerializationFailure",
    "SingletonSqlJsonItemRequired",
    "SnapshotTooOld",
    "SqlInternalError",
    "SqlJsonArrayNotFound",
    "SqlJsonItemCannotBeCastToTargetType",
    "SqlJsonMemberNotFound",
    "SqlJsonNumberNotFound",
    "SqlJsonObjectNotFound",
    "SqlJsonScalarRequired",
    "SqlRoutineException",
    "SqlStatementNotYetComplete",
    "SqlSyntaxError",
    "SqlSystemError",
    "SqlWarning",
    "SqlclientUnableToEstablishSqlconnection",
    "SqlserverRejectedEstablishmentOfSqlconnection",
    "SrfProtocolViolated",
    "StackedDiagnosticsAccessedWithoutActiveHandler",
    "StatementCompletionUnknown",
    "StatementTooComplex",
    "StringDataLengthMismatch",
    "StringDataRightTruncation",
    "StringDataRightTruncationWarning",
    "SubstringError",
    "SuccessfulCompletion",
    "SyntaxErrorOrAccessRuleViolation",
    "TooManyArguments",
    "TooManyColumns",
    "TooManyConnections",
    "TooManyJsonArrayElements",
    "TooManyJsonObjectMembers",
    "TooManyRows",
    "TransactionIntegrityConstraintViolation",
    "TransactionResolutionUnknown",
    "TransactionRollback",
    "TriggerProtocolViolated",
    "TriggeredActionException",
    "TriggeredDataChangeViolation",
    "TrimError",
    "UndefinedColumn",
    "UndefinedFile",
    "UndefinedFunction",
    "UndefinedObject",
    "UndefinedParameter",
    "UndefinedTable",
    "UniqueViolation",
    "UnsafeNewEnumValueUsage",
    "UnterminatedCString",
    "UntranslatableCharacter",
    "WindowingError",
    "WithCheckOptionViolation",
    "WrongObjectType",
    "ZeroLengthCharacterString",
    "error_class",
]
