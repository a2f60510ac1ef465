/** @odoo-module **/
/**
 * Sourcing by region (runs in zh_CN). Manager: lists the Shanghai warehouse
 * for 浙江省, then reviews an order delivered to Hangzhou: it ships from
 * Shanghai, and the order says why.
 * Data: oms_core/tests/test_tour_warehouse_region.py
 */
import {registry} from "@web/core/registry";
import {omsScreenshot, omsSteps, openMenu, stageIs} from "./oms_tour_utils";

const PROVINCE = "浙江省";
const WAREHOUSE = "上海仓";
const CUSTOMER = "杭州茶叶商行";

registry.category("web_tour.tours").add("oms_warehouse_region_tour", {
  steps: () =>
    omsSteps([
      ...openMenu(
        "oms_core.oms_core_menu_root",
        "oms_core.oms_core_menu_config",
        "oms_core.oms_warehouse_region_menu"
      ),
      {
        content: "a new region",
        trigger: ".o_list_view .o_list_button_add",
        run: "click",
      },
      {
        content: "for Zhejiang",
        trigger: ".o_data_row .o_field_widget[name=state_id] input",
        run: `edit ${PROVINCE}`,
      },
      {
        content: "pick it",
        trigger: `.o-autocomplete--dropdown-item:contains(${PROVINCE})`,
        run: "click",
      },
      {
        content: "served by the Shanghai warehouse",
        trigger: ".o_data_row .o_field_widget[name=warehouse_id] input",
        run: `edit ${WAREHOUSE}`,
      },
      {
        content: "pick it",
        trigger: `.o-autocomplete--dropdown-item:contains(${WAREHOUSE})`,
        run: "click",
      },
      {
        content: "save the row",
        trigger: ".o_list_view .o_list_button_save",
        run: "click",
      },
      {
        content: "saved",
        trigger: `.o_list_view .o_data_row:not(.o_selected_row):contains(${PROVINCE}):contains(${WAREHOUSE})`,
      },
      omsScreenshot("manager-warehouse-region", ".o_list_view"),
      ...openMenu(
        "oms_core.oms_core_menu_root",
        "oms_core.oms_core_menu_orders_root",
        "oms_core.oms_core_menu_pipeline"
      ),
      {
        content: "open the Hangzhou quotation, not reviewed yet",
        trigger: `.o_kanban_view .o_kanban_record:contains(${CUSTOMER})`,
        run: "click",
      },
      {
        content: "review it",
        trigger: ".o_form_view button[name=action_oms_review]",
        run: "click",
      },
      stageIs("oms_stage", "approved"),
      {
        content: "why it ships from there: the review tab",
        trigger: ".o_notebook a[name=oms_review]",
        run: "click",
      },
      {
        content: "it ships from Shanghai, which serves Zhejiang",
        trigger: `.o_form_view .o_field_widget[name=oms_sourcing_note]:contains(${WAREHOUSE}):contains(${PROVINCE})`,
      },
      omsScreenshot(
        "manager-warehouse-region-order",
        ".o_form_view .o_field_widget[name=oms_sourcing_note]"
      ),
    ]),
});
